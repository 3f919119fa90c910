package kv

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sampleState builds a state with data and sessions, applying cmds in order.
func sampleState(cmds ...Command) *StateMachine {
	s := NewStateMachine()
	for _, c := range cmds {
		s.Apply(c)
	}
	return s
}

var sampleCommands = []Command{
	{Client: 7, Seq: 1, Op: OpPut, Key: "x", Value: "1"},
	{Client: 3, Seq: 1, Op: OpAppend, Key: "", Value: "\x00\xff"},
	{Client: 7, Seq: 2, Op: OpCAS, Key: "x", Expected: "1", Value: "2"},
	{Client: 12, Seq: 4, Op: OpGet, Key: "x"},
	{Client: 3, Seq: 2, Op: OpPut, Key: "a", Value: ""},
}

func TestSnapshotRoundTrip(t *testing.T) {
	s := sampleState(sampleCommands...)
	r, err := RestoreStateMachine(s.Snapshot())
	require.NoError(t, err)
	assert.Equal(t, s, r)
	assert.Equal(t, s.Digest(), r.Digest())
	assert.Equal(t, s.Snapshot(), r.Snapshot())

	// The session table came along: the last command of each client is
	// still a Duplicate with its cached result, an older one Stale.
	got, outcome := r.Apply(sampleCommands[2])
	assert.Equal(t, Duplicate, outcome)
	assert.Equal(t, Result{OK: true}, got)
	got, outcome = r.Apply(sampleCommands[3])
	assert.Equal(t, Duplicate, outcome)
	assert.Equal(t, Result{Value: "2"}, got)
	_, outcome = r.Apply(sampleCommands[0])
	assert.Equal(t, Stale, outcome)
	assert.Equal(t, "2", r.Get("x"), "a retried command did not apply again")
	assert.Equal(t, s.Digest(), r.Digest())

	empty, err := RestoreStateMachine(NewStateMachine().Snapshot())
	require.NoError(t, err)
	assert.Equal(t, NewStateMachine(), empty)
}

func TestSnapshotIsCanonical(t *testing.T) {
	// The same state built in different orders (so with different map
	// histories) has one encoding and one digest.
	a := sampleState(sampleCommands...)
	b := sampleState(sampleCommands[1], sampleCommands[4], sampleCommands[0], sampleCommands[2], sampleCommands[3])
	for i := 0; i < 100; i++ {
		b.data["tmp"] = "t" // churn the map
		delete(b.data, "tmp")
	}
	assert.Equal(t, a.Snapshot(), b.Snapshot())
	assert.Equal(t, a.Digest(), b.Digest())
}

func TestDigestTellsStatesApart(t *testing.T) {
	base := sampleState(sampleCommands...)
	others := map[string]*StateMachine{
		"one value differs":      sampleState(append(sampleCommands[:4:4], Command{Client: 3, Seq: 2, Op: OpPut, Key: "a", Value: "z"})...),
		"one session differs":    sampleState(append(sampleCommands[:4:4], sampleCommands[4], Command{Client: 3, Seq: 3, Op: OpGet, Key: "a"})...),
		"a session result only":  func() *StateMachine { s := sampleState(sampleCommands...); s.sessions[12] = session{seq: 4}; return s }(),
		"a key moved to a value": func() *StateMachine { s := NewStateMachine(); s.data["ab"] = ""; return s }(),
		"empty":                  NewStateMachine(),
	}
	for name, s := range others {
		t.Run(name, func(t *testing.T) {
			assert.NotEqual(t, base.Digest(), s.Digest())
			assert.NotEqual(t, base.Snapshot(), s.Snapshot())
		})
	}
	ab := NewStateMachine()
	ab.data["a"] = "b"
	ba := NewStateMachine()
	ba.data["ab"] = ""
	assert.NotEqual(t, ab.Digest(), ba.Digest())
}

func TestRestoreRejectsMalformedSnapshots(t *testing.T) {
	good := sampleState(sampleCommands...).Snapshot()
	tests := []struct {
		name string
		buf  []byte
	}{
		{"empty", nil},
		{"unknown version", append([]byte{9}, good[1:]...)},
		{"truncated", good[:len(good)-1]},
		{"trailing byte", append(append([]byte(nil), good...), 0)},
		{"huge key count", []byte{snapshotVersion, 0xff, 0xff, 0x03}},
		{"keys out of order", []byte{snapshotVersion, 2, 1, 'b', 0, 1, 'a', 0, 0}},
		{"key repeated", []byte{snapshotVersion, 2, 1, 'a', 0, 1, 'a', 0, 0}},
		{"string beyond the end", []byte{snapshotVersion, 1, 5, 'a', 0}},
		{"client zero", []byte{snapshotVersion, 0, 1, 0, 1, 0, 0}},
		{"sequence zero", []byte{snapshotVersion, 0, 1, 3, 0, 0, 0}},
		{"clients out of order", []byte{snapshotVersion, 0, 2, 5, 1, 0, 0, 4, 1, 0, 0}},
		{"bad ok flag", []byte{snapshotVersion, 0, 1, 3, 1, 0, 2}},
		{"missing ok flag", []byte{snapshotVersion, 0, 1, 3, 1, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := RestoreStateMachine(tt.buf)
			assert.Nil(t, s)
			assert.True(t, errors.Is(err, ErrCorrupt), "got %v", err)
		})
	}
	// The hand-written encodings above are well-formed once fixed.
	s, err := RestoreStateMachine([]byte{snapshotVersion, 2, 1, 'a', 0, 1, 'b', 1, 'v', 2, 4, 1, 0, 0, 5, 2, 1, 'r', 1})
	require.NoError(t, err)
	assert.Equal(t, "v", s.Get("b"))
	assert.Equal(t, session{seq: 2, result: Result{Value: "r", OK: true}}, s.sessions[5])
}

// FuzzRestoreSnapshot: a restore either fails or yields a state whose
// snapshot is exactly the input (the encoding is canonical).
func FuzzRestoreSnapshot(f *testing.F) {
	f.Add(sampleState(sampleCommands...).Snapshot())
	f.Add(NewStateMachine().Snapshot())
	f.Add([]byte{snapshotVersion, 2, 1, 'a', 0, 1, 'b', 1, 'v', 2, 4, 1, 0, 0, 5, 2, 1, 'r', 1})
	f.Fuzz(func(t *testing.T, buf []byte) {
		s, err := RestoreStateMachine(buf)
		if err != nil {
			require.ErrorIs(t, err, ErrCorrupt)
			return
		}
		require.Equal(t, buf, s.Snapshot())
	})
}
