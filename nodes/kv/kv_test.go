package kv

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestApplySemantics(t *testing.T) {
	s := NewStateMachine()
	steps := []struct {
		cmd     Command
		want    Result
		outcome Outcome
	}{
		{Command{Client: 9, Seq: 1, Op: OpGet, Key: "x"}, Result{}, Applied},
		{Command{Client: 9, Seq: 2, Op: OpPut, Key: "x", Value: "a"}, Result{}, Applied},
		{Command{Client: 9, Seq: 3, Op: OpAppend, Key: "x", Value: "b"}, Result{}, Applied},
		{Command{Client: 9, Seq: 4, Op: OpGet, Key: "x"}, Result{Value: "ab"}, Applied},
		{Command{Client: 9, Seq: 5, Op: OpCAS, Key: "x", Expected: "zz", Value: "c"}, Result{}, Applied},
		{Command{Client: 9, Seq: 6, Op: OpCAS, Key: "x", Expected: "ab", Value: "c"}, Result{OK: true}, Applied},
		{Command{Client: 9, Seq: 7, Op: OpGet, Key: "x"}, Result{Value: "c"}, Applied},
		{Noop, Result{}, Applied},
	}
	for i, st := range steps {
		got, outcome := s.Apply(st.cmd)
		assert.Equal(t, st.want, got, "step %d %v", i, st.cmd)
		assert.Equal(t, st.outcome, outcome, "step %d %v", i, st.cmd)
	}
}

func TestDeduplicationAppliesOnce(t *testing.T) {
	s := NewStateMachine()
	app := Command{Client: 7, Seq: 1, Op: OpAppend, Key: "k", Value: "v"}
	_, outcome := s.Apply(app)
	require.Equal(t, Applied, outcome)
	_, outcome = s.Apply(app) // a retry that was proposed twice
	assert.Equal(t, Duplicate, outcome)
	assert.Equal(t, "v", s.Get("k"))

	read := Command{Client: 7, Seq: 2, Op: OpGet, Key: "k"}
	r1, _ := s.Apply(read)
	s.Apply(Command{Client: 8, Seq: 1, Op: OpPut, Key: "k", Value: "other"})
	r2, outcome := s.Apply(read)
	assert.Equal(t, Duplicate, outcome)
	assert.Equal(t, r1, r2, "a duplicate returns the cached result, not a fresh read")

	_, outcome = s.Apply(app) // older than the client's latest
	assert.Equal(t, Stale, outcome)
	assert.Equal(t, "other", s.Get("k"))
}

func TestCommandCodecRoundTrip(t *testing.T) {
	cmds := []Command{
		Noop,
		{Client: 12, Seq: 1 << 40, Op: OpCAS, Key: "key", Value: "new", Expected: "old"},
		{Client: 6, Seq: 3, Op: OpAppend, Key: "", Value: "<6.3>"},
	}
	var buf []byte
	for _, c := range cmds {
		buf = AppendCommand(buf, c)
	}
	for _, want := range cmds {
		got, rest, err := DecodeCommand(buf)
		require.NoError(t, err)
		assert.Equal(t, want, got)
		buf = rest
	}
	assert.Empty(t, buf)
	enc := AppendCommand(nil, cmds[1])
	for cut := 0; cut < len(enc); cut++ {
		_, _, err := DecodeCommand(enc[:cut])
		assert.ErrorIs(t, err, ErrCorrupt, "truncated at %d", cut)
	}
}

func TestDigestDistinguishesCommands(t *testing.T) {
	a := Command{Client: 1, Seq: 1, Op: OpPut, Key: "k", Value: "v"}
	b := a
	b.Value = "w"
	assert.Equal(t, a.Digest(), a.Digest())
	assert.NotEqual(t, a.Digest(), b.Digest())
}
