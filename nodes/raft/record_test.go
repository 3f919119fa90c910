package raft

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/consim/consim/nodes/kv"
)

func TestRecordRoundTrip(t *testing.T) {
	es := []Entry{
		{Term: 1, Cmd: kv.Noop},
		{Term: 1, Cmd: kv.Command{Client: 5, Seq: 300, Op: kv.OpCAS, Key: "k", Value: "new", Expected: "old"}},
		{Term: 7, Cmd: kv.Command{Client: 6, Seq: 1, Op: kv.OpAppend, Key: "", Value: "\x00\xff"}},
	}
	after, got, err := decodeLog(mustUnseal(t, encodeLog(3, es), recordLog))
	require.NoError(t, err)
	assert.Equal(t, uint64(3), after)
	assert.Equal(t, es, got)

	var d durableState
	require.NoError(t, d.apply(encodeHardState(hardState{term: 1 << 40, vote: 3, commit: 2})))
	assert.Equal(t, hardState{term: 1 << 40, vote: 3, commit: 2}, d.hard)
}

func mustUnseal(t *testing.T, rec []byte, wantKind byte) []byte {
	t.Helper()
	kind, body, err := unseal(rec)
	require.NoError(t, err)
	require.Equal(t, wantKind, kind)
	return body
}

func TestReplay(t *testing.T) {
	records := [][]byte{
		encodeLog(0, entries(1, 1, 2)),
		encodeHardState(hardState{term: 2, vote: 1}),
		encodeLog(1, entriesFrom(2, 3)), // truncate and append
		encodeHardState(hardState{term: 3, commit: 1}),
		encodeLog(2, entriesFrom(3, 3, 3)),
		encodeLog(3, nil), // pure truncation
	}
	d := replay(records)
	assert.Equal(t, hardState{term: 3, commit: 1}, d.hard)
	assert.Equal(t, []Entry{entries(1)[0], entriesFrom(2, 3)[0], entriesFrom(3, 3)[0]}, d.log.from(0))
	assert.False(t, d.torn)
}

func TestReplayRejectsBadRecords(t *testing.T) {
	good := encodeLog(0, entries(1))
	flipped := append([]byte(nil), good...)
	flipped[2] ^= 1
	tests := []struct {
		name string
		bad  []byte
	}{
		{"checksum", flipped},
		{"short", []byte{recordLog}},
		{"unknown kind", seal([]byte{9, 1})},
		{"log after beyond the end", encodeLog(5, nil)},
		{"term going backwards", encodeLog(1, entriesFrom(2, 0))},
		{"hard state term going backwards", encodeHardState(hardState{})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := [][]byte{good, encodeHardState(hardState{term: 1})}
			d := replay(append(base, tt.bad))
			assert.True(t, d.torn, "a bad last record is a torn write")
			assert.Equal(t, entries(1), d.log.from(0), "and changes nothing")
			assert.Panics(t, func() { replay(append(base, tt.bad, good)) }, "a bad record in the middle")
		})
	}
}

func TestReplayPanicsOnCommitBeyondLog(t *testing.T) {
	assert.PanicsWithValue(t, "raft: recovered commit(2) is out of range [lastIndex(1)]", func() {
		replay([][]byte{encodeLog(0, entries(1)), encodeHardState(hardState{term: 1, commit: 2})})
	})
}
