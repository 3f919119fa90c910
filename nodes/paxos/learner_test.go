package paxos

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/consim/consim/nodes/kv"
)

func TestFollowerLearnsWhatItAcceptedInTheLeadersBallot(t *testing.T) {
	env := newEnv(t, 2, 3)
	n := startNode(env, DefaultConfig())
	a, b, c := put(9, 1, "k", "a"), put(9, 2, "k", "b"), put(9, 3, "k", "c")
	n.Receive(1, Accept{Ballot: ballot(1, 1), Slot: 1, Cmds: []kv.Command{a}})
	n.Receive(3, Accept{Ballot: ballot(2, 3), Slot: 2, Cmds: []kv.Command{b, c}})
	env.takeSent()
	env.takeFacts()

	n.Receive(3, Heartbeat{Ballot: ballot(2, 3), Chosen: 3})

	facts := env.takeFacts()
	assert.Equal(t, []LearnFact{{Slot: 2, Cmd: b}, {Slot: 3, Cmd: c}}, factsOf[LearnFact](facts),
		"slot 1 was accepted in another ballot: the leader's chosen value there may differ")
	assert.Empty(t, factsOf[kv.AppliedFact](facts), "slots apply in order")
	assert.Equal(t, []Progress{{Ballot: ballot(2, 3), Learned: 0}}, msgsOf[Progress](env.takeSent()))

	n.Receive(3, Learn{Ballot: ballot(2, 3), Slot: 1, Cmds: []kv.Command{a}})

	facts = env.takeFacts()
	assert.Equal(t, []LearnFact{{Slot: 1, Cmd: a}}, factsOf[LearnFact](facts))
	assert.Equal(t, []kv.AppliedFact{{Index: 1, Cmd: a}, {Index: 2, Cmd: b}, {Index: 3, Cmd: c}}, factsOf[kv.AppliedFact](facts))
	assert.Equal(t, "c", n.sm.Get("k"))
	assert.Equal(t, []Progress{{Ballot: ballot(2, 3), Learned: 3}}, msgsOf[Progress](env.takeSent()))
}

func TestAcceptCarriesTheChosenPrefix(t *testing.T) {
	env := newEnv(t, 2, 3)
	n := startNode(env, DefaultConfig())
	a, b := put(9, 1, "k", "a"), put(9, 2, "k", "b")
	n.Receive(1, Accept{Ballot: ballot(1, 1), Slot: 1, Cmds: []kv.Command{a}})
	env.takeFacts()

	n.Receive(1, Accept{Ballot: ballot(1, 1), Slot: 2, Cmds: []kv.Command{b}, Chosen: 1})

	assert.Equal(t, []LearnFact{{Slot: 1, Cmd: a}}, factsOf[LearnFact](env.takeFacts()))
	assert.Equal(t, uint64(1), n.applied)
}

func TestLeaderCatchesUpALaggingFollower(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxSlotsPerMessage = 2
	n, env := newLeader(t, 3, cfg)
	b := n.ballot
	var cmds []kv.Command
	for seq := uint64(1); seq <= 3; seq++ {
		cmds = append(cmds, put(8, seq, "x", "v"))
		n.Receive(8, kv.Request{Cmd: cmds[seq-1]})
		n.Receive(2, Accepted{Ballot: b, Slot: seq, Count: 1})
	}
	require.Equal(t, uint64(3), n.learned)
	env.takeSent()

	n.Receive(3, Progress{Ballot: b, Learned: 0})
	assert.Equal(t, []Learn{{Ballot: b, Slot: 1, Cmds: cmds[:2]}}, sentTo[Learn](env.takeSent(), 3))
	n.Receive(3, Progress{Ballot: b, Learned: 2})
	assert.Equal(t, []Learn{{Ballot: b, Slot: 3, Cmds: cmds[2:]}}, sentTo[Learn](env.takeSent(), 3))
	n.Receive(3, Progress{Ballot: b, Learned: 3})
	assert.Empty(t, env.takeSent(), "caught up")
	n.Receive(3, Progress{Ballot: ballot(b.Round-1, 3), Learned: 0})
	assert.Empty(t, env.takeSent(), "an answer to another ballot")
}
