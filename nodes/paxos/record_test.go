package paxos

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/consim/consim/nodes/kv"
)

func TestRecordRoundTrip(t *testing.T) {
	cmds := []kv.Command{
		kv.Noop,
		{Client: 5, Seq: 300, Op: kv.OpCAS, Key: "k", Value: "new", Expected: "old"},
		{Client: 6, Seq: 1, Op: kv.OpAppend, Key: "", Value: "\x00\xff"},
	}
	var d durableState
	require.NoError(t, d.apply(encodePromise(ballot(1<<40, 3))))
	require.NoError(t, d.apply(encodeAccept(ballot(7, 2), 2, cmds)))
	require.NoError(t, d.apply(encodeLearn(3, cmds[:1])))

	assert.Equal(t, ballot(1<<40, 3), d.promised)
	require.Len(t, d.slots, 4)
	assert.True(t, d.slots[0].acceptedBallot.IsZero())
	for k, c := range cmds {
		assert.Equal(t, ballot(7, 2), d.slots[1+k].acceptedBallot)
		assert.Equal(t, c, d.slots[1+k].accepted)
	}
	assert.True(t, d.slots[2].chosen)
	assert.Equal(t, kv.Noop, d.slots[2].value)
}

func TestReplayRejects(t *testing.T) {
	tests := []struct {
		name string
		rec  []byte
	}{
		{"bad checksum", func() []byte { r := encodePromise(ballot(1, 1)); r[1] ^= 1; return r }()},
		{"too short", []byte{recordPromise, 1}},
		{"unknown kind", seal([]byte{9, 1, 1})},
		{"promise goes back", encodePromise(ballot(1, 9))},
		{"slot zero", encodeLearn(0, []kv.Command{kv.Noop})},
		{"accept of the zero ballot", encodeAccept(Ballot{}, 1, []kv.Command{kv.Noop})},
		{"trailing bytes", seal(append(encodePromise(ballot(3, 1))[:3], 0))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := durableState{promised: ballot(2, 1)}
			assert.ErrorIs(t, d.apply(tt.rec), errCorruptRecord)
			assert.Equal(t, durableState{promised: ballot(2, 1)}, d, "unchanged")
		})
	}
}

func TestSnapshotReplaysToTheSameState(t *testing.T) {
	a, b, c := put(9, 1, "k", "a"), put(9, 2, "k", "b"), put(9, 3, "k", "c")
	slots := []slot{
		{chosen: true, value: a, acceptedBallot: ballot(1, 1), accepted: a},
		{chosen: true, value: b},
		{acceptedBallot: ballot(2, 1), accepted: c},
		{acceptedBallot: ballot(2, 1), accepted: a},
		{acceptedBallot: ballot(3, 2), accepted: b},
		{},
		{chosen: true, value: c, acceptedBallot: ballot(3, 2), accepted: a},
	}
	records := snapshot(ballot(4, 2), slots)
	assert.Len(t, records, 5, "promise, learn 1-2, accept 3-4, accept 5, learn 7")

	d := replay(records)
	assert.Equal(t, ballot(4, 2), d.promised)
	require.Len(t, d.slots, len(slots))
	for i, sl := range slots {
		if sl.chosen {
			sl.acceptedBallot, sl.accepted = Ballot{}, kv.Command{} // superseded
		}
		assert.Equal(t, sl, d.slots[i], "slot %d", i+1)
	}
}
