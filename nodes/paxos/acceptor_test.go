package paxos

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/consim/consim/nodes"
	"github.com/consim/consim/nodes/kv"
)

// acceptorWith returns server 2 of 3 that accepted x at slot 1 in b1.1, y at
// slot 2 in b1.1 and then z there in b2.3, learned w at slot 3, and accepted
// v at slot 5 in b2.3 (slot 4 is empty).
func acceptorWith(t *testing.T, cfg Config) (*Node, *fakeEnv) {
	env := newEnv(t, 2, 3)
	n := startNode(env, cfg)
	n.Receive(1, Accept{Ballot: ballot(1, 1), Slot: 1, Cmds: []kv.Command{put(9, 1, "k", "x"), put(9, 2, "k", "y")}})
	n.Receive(3, Accept{Ballot: ballot(2, 3), Slot: 2, Cmds: []kv.Command{put(9, 3, "k", "z")}})
	n.Receive(3, Learn{Ballot: ballot(2, 3), Slot: 3, Cmds: []kv.Command{put(9, 4, "k", "w")}})
	n.Receive(3, Accept{Ballot: ballot(2, 3), Slot: 5, Cmds: []kv.Command{put(9, 5, "k", "v")}})
	env.advance(cfg.FailureTimeoutMin) // the leader has gone quiet
	env.takeSent()
	env.takeFacts()
	return n, env
}

func TestPromiseReportsAcceptedValues(t *testing.T) {
	n, env := acceptorWith(t, DefaultConfig())
	var durableAtSend Ballot
	env.onSend = func(sentMsg) { durableAtSend = durable(env.disk).promised }

	n.Receive(1, Prepare{Ballot: ballot(3, 1), From: 2})

	assert.Equal(t, []sentMsg{{from: 2, to: 1, msg: Promise{Ballot: ballot(3, 1), From: 2, Entries: []PromiseEntry{
		{Slot: 2, Ballot: ballot(2, 3), Cmd: put(9, 3, "k", "z")},
		{Slot: 3, Chosen: true, Cmd: put(9, 4, "k", "w")},
		{Slot: 5, Ballot: ballot(2, 3), Cmd: put(9, 5, "k", "v")},
	}}}}, env.takeSent(), "slot 1 is below From; slot 2 holds the higher ballot; slot 4 is empty")
	assert.Equal(t, ballot(3, 1), durableAtSend, "the promise is durable before the reply")
	assert.Equal(t, []PromiseFact{{Ballot: ballot(3, 1)}}, factsOf[PromiseFact](env.takeFacts()))
	assert.Equal(t, nodes.ID(0), n.leader, "the old leader is no longer followed")
}

func TestBrokenAcceptorOmitsValues(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Bugs.PromiseOmitsAccepted = true
	n, env := acceptorWith(t, cfg)

	n.Receive(1, Prepare{Ballot: ballot(3, 1), From: 1})

	assert.Equal(t, []Promise{{Ballot: ballot(3, 1), From: 1}}, msgsOf[Promise](env.takeSent()))
	assert.Equal(t, ballot(3, 1), durable(env.disk).promised, "it still promises")
}

func TestPrepareBelowPromiseIsRejected(t *testing.T) {
	n, env := acceptorWith(t, DefaultConfig())
	n.Receive(1, Prepare{Ballot: ballot(3, 1), From: 1})
	env.takeSent()
	env.takeFacts()

	n.Receive(3, Prepare{Ballot: ballot(2, 3), From: 1})
	n.Receive(3, Prepare{Ballot: ballot(3, 0), From: 1}) // same round, lower node
	n.Receive(1, Prepare{Ballot: ballot(3, 1), From: 1}) // a duplicate is promised again

	sent := env.takeSent()
	assert.Equal(t, []Nack{{Ballot: ballot(2, 3), Promised: ballot(3, 1)}, {Ballot: ballot(3, 0), Promised: ballot(3, 1)}},
		msgsOf[Nack](sent))
	assert.Len(t, msgsOf[Promise](sent), 1)
	assert.Empty(t, env.takeFacts(), "nothing changed")
	assert.Equal(t, ballot(3, 1), n.promised)
}

func TestAcceptBelowPromiseIsRejected(t *testing.T) {
	n, env := acceptorWith(t, DefaultConfig())
	n.Receive(1, Prepare{Ballot: ballot(3, 1), From: 1})
	env.takeSent()
	env.takeFacts()

	n.Receive(3, Accept{Ballot: ballot(2, 3), Slot: 4, Cmds: []kv.Command{put(9, 6, "k", "u")}})

	assert.Equal(t, []sentMsg{{from: 2, to: 3, msg: Nack{Ballot: ballot(2, 3), Promised: ballot(3, 1)}}}, env.takeSent())
	assert.Empty(t, env.takeFacts())
	assert.True(t, n.slots[3].acceptedBallot.IsZero())
}

func TestAcceptIsDurableBeforeReplyAndRaisesPromise(t *testing.T) {
	env := newEnv(t, 2, 3)
	n := startNode(env, DefaultConfig())
	env.onSend = func(s sentMsg) {
		d := durable(env.disk)
		require.Len(t, d.slots, 2)
		assert.Equal(t, ballot(4, 3), d.slots[1].acceptedBallot)
		assert.Equal(t, ballot(4, 3), d.promised)
	}

	n.Receive(3, Accept{Ballot: ballot(4, 3), Slot: 2, Cmds: []kv.Command{put(9, 1, "k", "a")}})

	assert.Equal(t, []sentMsg{{from: 2, to: 3, msg: Accepted{Ballot: ballot(4, 3), Slot: 2, Count: 1}}}, env.takeSent())
	assert.Equal(t, []nodes.Fact{
		PromiseFact{Ballot: ballot(4, 3)},
		AcceptFact{Slot: 2, Ballot: ballot(4, 3), Cmd: put(9, 1, "k", "a")},
	}, env.takeFacts())
	assert.Equal(t, nodes.ID(3), n.leader)

	// A duplicate is acknowledged again but not written again.
	records := len(env.disk.Records())
	n.Receive(3, Accept{Ballot: ballot(4, 3), Slot: 2, Cmds: []kv.Command{put(9, 1, "k", "a")}})
	assert.Len(t, msgsOf[Accepted](env.takeSent()), 1)
	assert.Empty(t, env.takeFacts())
	assert.Len(t, env.disk.Records(), records)
}
