package paxos

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/consim/consim/nodes"
	"github.com/consim/consim/nodes/kv"
)

func TestStartIsFollowerWithFailureTimer(t *testing.T) {
	env := newEnv(t, 1, 3)
	n := New(DefaultConfig())
	n.Start(env)

	assert.Equal(t, []nodes.Fact{
		PromiseFact{},
		nodes.RoleChanged{Role: nodes.RoleFollower, Epoch: 0},
	}, env.takeFacts())
	p, ok := env.timer(timerFailure)
	require.True(t, ok)
	assert.GreaterOrEqual(t, p.at, DefaultConfig().FailureTimeoutMin)
	assert.Less(t, p.at, DefaultConfig().FailureTimeoutMax)
	assert.Empty(t, env.sent)
}

func TestCampaignPromisesItsOwnBallotFirst(t *testing.T) {
	env := newEnv(t, 2, 3)
	n := startNode(env, DefaultConfig())
	n.Receive(3, Heartbeat{Ballot: ballot(4, 3)}) // seen, not promised
	env.takeSent()
	env.onSend = func(sentMsg) { assert.Equal(t, ballot(5, 2), durable(env.disk).promised) }

	p := campaign(t, n, env)

	assert.Equal(t, Prepare{Ballot: ballot(5, 2), From: 1}, p, "a round above every ballot seen")
	assert.Equal(t, []nodes.Fact{
		nodes.RoleChanged{Role: nodes.RoleCandidate, Epoch: 5},
		PromiseFact{Ballot: ballot(5, 2)},
	}, env.takeFacts())
	_, ok := env.timer(timerFailure)
	assert.True(t, ok, "a candidate retries when its timer fires")

	env.onSend = nil
	p = campaign(t, n, env)
	assert.Equal(t, ballot(6, 2), p.Ballot)
}

// phase1 makes server 1 of 5 campaign, its own acceptor having accepted own
// (from slot 1) in ballot b1.2, and collects the given promises from the
// servers they are keyed by. It campaigns with ballot b2.1.
func phase1(t *testing.T, own []kv.Command, promises map[nodes.ID][]PromiseEntry) (*Node, *fakeEnv, []sentMsg, []nodes.Fact) {
	return phase1With(t, DefaultConfig(), own, promises)
}

func TestNewLeaderAdoptsHighestBallotValue(t *testing.T) {
	x, y, z := put(9, 1, "k", "x"), put(9, 2, "k", "y"), put(9, 3, "k", "z")
	n, _, sent, facts := phase1(t, []kv.Command{x}, map[nodes.ID][]PromiseEntry{
		2: {{Slot: 1, Ballot: ballot(1, 4), Cmd: y}},
		3: {{Slot: 1, Ballot: ballot(1, 3), Cmd: z}},
	})

	b := n.ballot
	assert.Equal(t, ballot(2, 1), b)
	assert.Equal(t, []ProposeFact{{Slot: 1, Ballot: b, Cmd: y}}, factsOf[ProposeFact](facts), "y has the highest ballot, b1.4")
	assert.Contains(t, facts, nodes.Fact(AcceptFact{Slot: 1, Ballot: b, Cmd: y}), "the leader accepts its own proposal")
	for _, id := range []nodes.ID{2, 3, 4, 5} {
		assert.Equal(t, []Accept{{Ballot: b, Slot: 1, Cmds: []kv.Command{y}}}, sentTo[Accept](sent, id))
		assert.Equal(t, []Heartbeat{{Ballot: b}}, sentTo[Heartbeat](sent, id))
	}
	assert.Equal(t, uint64(2), n.next)

	// Two acceptances besides its own choose it.
	n.Receive(2, Accepted{Ballot: b, Slot: 1, Count: 1})
	assert.Equal(t, uint64(0), n.learned)
	n.Receive(4, Accepted{Ballot: b, Slot: 1, Count: 1})
	assert.Equal(t, uint64(1), n.learned)
	assert.Equal(t, uint64(1), n.applied)
}

func TestGapsBecomeNoops(t *testing.T) {
	a, c := put(9, 1, "k", "a"), put(9, 3, "k", "c")
	n, env, sent, facts := phase1(t, nil, map[nodes.ID][]PromiseEntry{
		2: {{Slot: 1, Ballot: ballot(1, 2), Cmd: a}},
		3: {{Slot: 3, Ballot: ballot(1, 2), Cmd: c}},
	})

	b := n.ballot
	assert.Equal(t, []ProposeFact{{Slot: 1, Ballot: b, Cmd: a}, {Slot: 2, Ballot: b, Cmd: kv.Noop}, {Slot: 3, Ballot: b, Cmd: c}},
		factsOf[ProposeFact](facts))
	assert.Equal(t, []Accept{{Ballot: b, Slot: 1, Cmds: []kv.Command{a, kv.Noop, c}}}, sentTo[Accept](sent, 2))

	// A new command goes after the adopted slots, without phase 1.
	n.Receive(8, kv.Request{Cmd: put(8, 1, "x", "1")})
	sent = env.takeSent()
	assert.Empty(t, msgsOf[Prepare](sent))
	assert.Equal(t, []Accept{{Ballot: b, Slot: 4, Cmds: []kv.Command{put(8, 1, "x", "1")}}}, sentTo[Accept](sent, 2))
}

func TestNewLeaderLearnsReportedChosenValues(t *testing.T) {
	a, b2 := put(9, 1, "k", "a"), put(9, 2, "k", "b")
	n, _, _, facts := phase1(t, nil, map[nodes.ID][]PromiseEntry{
		2: {{Slot: 1, Chosen: true, Cmd: a}, {Slot: 2, Ballot: ballot(1, 2), Cmd: b2}},
		3: {{Slot: 1, Ballot: ballot(1, 3), Cmd: put(9, 7, "k", "other")}},
	})

	assert.Equal(t, []LearnFact{{Slot: 1, Cmd: a}}, factsOf[LearnFact](facts), "a chosen value beats any accepted one")
	assert.Equal(t, []ProposeFact{{Slot: 2, Ballot: n.ballot, Cmd: b2}}, factsOf[ProposeFact](facts))
	assert.Equal(t, []kv.AppliedFact{{Index: 1, Cmd: a}}, factsOf[kv.AppliedFact](facts))
}

func TestLeaderServesAndRepliesOnceChosen(t *testing.T) {
	n, env := newLeader(t, 3, DefaultConfig())
	b := n.ballot
	cmd := put(8, 1, "x", "1")

	n.Receive(8, kv.Request{Cmd: cmd})
	n.Receive(8, kv.Request{Cmd: cmd}) // a retry while pending
	sent := env.takeSent()
	assert.Empty(t, msgsOf[kv.Reply](sent), "no reply before it is chosen")
	assert.Equal(t, []Accept{{Ballot: b, Slot: 1, Cmds: []kv.Command{cmd}}}, sentTo[Accept](sent, 2), "proposed once")
	assert.Equal(t, []ProposeFact{{Slot: 1, Ballot: b, Cmd: cmd}}, factsOf[ProposeFact](env.takeFacts()))

	n.Receive(3, Accepted{Ballot: b, Slot: 1, Count: 1})
	assert.Equal(t, []kv.Reply{{Client: 8, Seq: 1, Leader: 1}}, msgsOf[kv.Reply](env.takeSent()))
	facts := env.takeFacts()
	assert.Equal(t, []LearnFact{{Slot: 1, Cmd: cmd}}, factsOf[LearnFact](facts))
	assert.Equal(t, []kv.AppliedFact{{Index: 1, Cmd: cmd}}, factsOf[kv.AppliedFact](facts))

	// The chosen prefix travels with the next heartbeat.
	env.fire(n, timerHeartbeat)
	assert.Equal(t, []Heartbeat{{Ballot: b, Chosen: 1}}, sentTo[Heartbeat](env.takeSent(), 2))
}

func TestRetryOfAnAdoptedCommandWaitsForItsSlot(t *testing.T) {
	cmd := put(8, 3, "x", "1")
	n, env, _, _ := phase1(t, nil, map[nodes.ID][]PromiseEntry{
		2: {{Slot: 1, Ballot: ballot(1, 2), Cmd: cmd}},
		3: {},
	})
	n.Receive(8, kv.Request{Cmd: cmd})
	assert.Empty(t, env.takeSent(), "not proposed again")

	n.Receive(2, Accepted{Ballot: n.ballot, Slot: 1, Count: 1})
	n.Receive(3, Accepted{Ballot: n.ballot, Slot: 1, Count: 1})
	assert.Equal(t, []kv.Reply{{Client: 8, Seq: 3, Leader: 1}}, msgsOf[kv.Reply](env.takeSent()))
}

func TestHeartbeatResendsUnacknowledgedProposals(t *testing.T) {
	n, env := newLeader(t, 3, DefaultConfig())
	b := n.ballot
	n.Receive(8, kv.Request{Cmd: put(8, 1, "x", "1")})
	n.Receive(8, kv.Request{Cmd: put(8, 2, "x", "2")})
	n.Receive(3, Accepted{Ballot: b, Slot: 1, Count: 1}) // slot 1 chosen
	env.takeSent()

	env.fire(n, timerHeartbeat)
	sent := env.takeSent()
	assert.Equal(t, []Accept{{Ballot: b, Slot: 2, Cmds: []kv.Command{put(8, 2, "x", "2")}, Chosen: 1}}, sentTo[Accept](sent, 2))
	assert.Equal(t, []Accept{{Ballot: b, Slot: 2, Cmds: []kv.Command{put(8, 2, "x", "2")}, Chosen: 1}}, sentTo[Accept](sent, 3),
		"server 3 acknowledged only slot 1")
	_, ok := env.timer(timerHeartbeat)
	assert.True(t, ok)
}

func TestRequestToNonLeader(t *testing.T) {
	tests := []struct {
		name       string
		setup      func(*Node, *fakeEnv)
		wantLeader nodes.ID
	}{
		{"follower without a leader", func(*Node, *fakeEnv) {}, 0},
		{"follower that heard from the leader", func(n *Node, _ *fakeEnv) { n.Receive(3, Heartbeat{Ballot: ballot(1, 3)}) }, 3},
		{"candidate", func(n *Node, env *fakeEnv) { env.fire(n, timerFailure) }, 0},
		{"follower that promised a newer ballot forgets the old leader", func(n *Node, env *fakeEnv) {
			n.Receive(3, Heartbeat{Ballot: ballot(1, 3)})
			env.advance(DefaultConfig().FailureTimeoutMin)
			n.Receive(2, Prepare{Ballot: ballot(2, 2)})
		}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t, 1, 3)
			n := startNode(env, DefaultConfig())
			tt.setup(n, env)
			env.takeSent()

			n.Receive(8, kv.Request{Cmd: put(8, 4, "k", "v")})

			assert.Equal(t, []sentMsg{{from: 1, to: 8, msg: kv.Reply{Client: 8, Seq: 4, Err: kv.ErrNotLeader, Leader: tt.wantLeader}}},
				env.takeSent())
			assert.Empty(t, factsOf[ProposeFact](env.takeFacts()))
		})
	}
}

func TestHigherBallotStepsDown(t *testing.T) {
	tests := []struct {
		name string
		msg  func(b Ballot) nodes.Message
	}{
		{"prepare once the lease expired", func(b Ballot) nodes.Message { return Prepare{Ballot: ballot(b.Round+1, 2), From: 1} }},
		{"accept", func(b Ballot) nodes.Message {
			return Accept{Ballot: ballot(b.Round+1, 2), Slot: 1, Cmds: []kv.Command{kv.Noop}}
		}},
		{"heartbeat", func(b Ballot) nodes.Message { return Heartbeat{Ballot: ballot(b.Round+1, 2)} }},
		{"nack", func(b Ballot) nodes.Message { return Nack{Ballot: b, Promised: ballot(b.Round+1, 2)} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, env := newLeader(t, 3, DefaultConfig())
			b := n.ballot
			n.Receive(8, kv.Request{Cmd: put(8, 1, "x", "1")})
			env.advance(DefaultConfig().FailureTimeoutMin) // no answers: the lease expired
			env.takeSent()
			env.takeFacts()

			n.Receive(2, tt.msg(b))

			assert.Equal(t, nodes.RoleFollower, n.role)
			assert.Contains(t, factsOf[nodes.RoleChanged](env.takeFacts()), nodes.RoleChanged{Role: nodes.RoleFollower, Epoch: n.promised.Round})
			assert.Empty(t, n.waits, "the client retries elsewhere")
			_, ok := env.timer(timerHeartbeat)
			assert.False(t, ok)
			_, ok = env.timer(timerFailure)
			assert.True(t, ok)
			// The next campaign goes above the ballot that was seen.
			p := campaign(t, n, env)
			assert.Equal(t, ballot(b.Round+2, 1), p.Ballot)
		})
	}
}

// TestFailureTimerRestartsOnlyForAnAdmittedLeader: a message below the
// promise and a repeated Prepare leave the failure timer alone; promising a
// new ballot restarts it (as granting a Raft vote does), and so does a
// request from a leader the promise admits.
func TestFailureTimerRestartsOnlyForAnAdmittedLeader(t *testing.T) {
	env := newEnv(t, 2, 3)
	n := startNode(env, DefaultConfig())
	n.Receive(1, Heartbeat{Ballot: ballot(2, 1)})
	env.advance(DefaultConfig().FailureTimeoutMin) // no longer disregards Prepares
	env.takeSent()
	armed, ok := env.timer(timerFailure)
	require.True(t, ok)

	n.Receive(3, Prepare{Ballot: ballot(3, 3), From: 1}) // promised: restarts it
	promised, ok := env.timer(timerFailure)
	require.True(t, ok)
	assert.NotEqual(t, armed.id, promised.id, "promising a new ballot restarts it")
	armed = promised
	for _, in := range []struct {
		from nodes.ID
		msg  nodes.Message
	}{
		{3, Prepare{Ballot: ballot(1, 3), From: 1}},                             // rejected
		{1, Heartbeat{Ballot: ballot(2, 1)}},                                    // the old leader, now below the promise
		{1, Accept{Ballot: ballot(2, 1), Slot: 1, Cmds: []kv.Command{kv.Noop}}}, // likewise
		{1, Learn{Ballot: ballot(2, 1), Slot: 1, Cmds: []kv.Command{kv.Noop}}},  // likewise
		{3, Prepare{Ballot: ballot(3, 3), From: 1}},                             // a duplicate
	} {
		n.Receive(in.from, in.msg)
		now, ok := env.timer(timerFailure)
		require.True(t, ok)
		assert.Equal(t, armed, now, "after %v", in.msg)
	}
	assert.Len(t, msgsOf[Nack](env.takeSent()), 4)

	n.Receive(3, Heartbeat{Ballot: ballot(3, 3)})
	now, ok := env.timer(timerFailure)
	require.True(t, ok)
	assert.NotEqual(t, armed.id, now.id, "the leader of the promised ballot restarts it")
	assert.Equal(t, nodes.ID(3), n.leader)
}

func TestFollowerDisregardsPrepareWhileItHearsTheLeader(t *testing.T) {
	env := newEnv(t, 2, 3)
	n := startNode(env, DefaultConfig())
	n.Receive(1, Heartbeat{Ballot: ballot(1, 1)})
	env.takeSent()
	env.takeFacts()

	env.advance(DefaultConfig().FailureTimeoutMin - 1)
	n.Receive(3, Prepare{Ballot: ballot(2, 3), From: 1})
	assert.Empty(t, env.takeSent())
	assert.Empty(t, env.takeFacts())
	assert.Equal(t, ballot(0, 0), n.promised)
	assert.Equal(t, nodes.ID(1), n.leader)

	n.Receive(1, Prepare{Ballot: ballot(2, 1), From: 1})
	assert.Equal(t, []Promise{{Ballot: ballot(2, 1), From: 1}}, msgsOf[Promise](env.takeSent()), "its own leader may campaign again")

	env.advance(1)
	n.Receive(3, Prepare{Ballot: ballot(3, 3), From: 1})
	assert.Equal(t, []Promise{{Ballot: ballot(3, 3), From: 1}}, msgsOf[Promise](env.takeSent()), "the leader went quiet")
}

func TestLeaderStepsDownWithoutAMajority(t *testing.T) {
	n, env := newLeader(t, 5, DefaultConfig())
	b := n.ballot
	for range 2 { // the promises of servers 2 and 3 at election time count for 150ms
		env.fire(n, timerHeartbeat)
		require.Equal(t, nodes.RoleLeader, n.role)
		n.Receive(4, Progress{Ballot: b})
	}
	env.takeFacts()

	env.fire(n, timerHeartbeat)
	assert.Equal(t, nodes.RoleFollower, n.role, "at 150ms, only server 4 answered within the last 150ms")
	assert.Equal(t, []nodes.RoleChanged{{Role: nodes.RoleFollower, Epoch: b.Round}}, factsOf[nodes.RoleChanged](env.takeFacts()))
	_, ok := env.timer(timerHeartbeat)
	assert.False(t, ok)
	_, ok = env.timer(timerFailure)
	assert.True(t, ok)
}

func TestLeaderWithALeaseCampaignsAgainWhenRejected(t *testing.T) {
	n, env := newLeader(t, 3, DefaultConfig())
	b := n.ballot
	cmd := put(8, 1, "x", "1")
	n.Receive(8, kv.Request{Cmd: cmd})
	env.takeSent()
	env.takeFacts()

	// Server 3 campaigned while cut off and promised itself b9.3.
	n.Receive(3, Nack{Ballot: b, Promised: ballot(9, 3)})

	require.Equal(t, nodes.RoleCandidate, n.role)
	assert.Equal(t, ballot(10, 1), n.ballot)
	assert.Equal(t, []Prepare{{Ballot: ballot(10, 1), From: 1}}, sentTo[Prepare](env.takeSent(), 3))
	n.Receive(8, kv.Request{Cmd: cmd})
	assert.Equal(t, []kv.Reply{{Client: 8, Seq: 1, Err: kv.ErrNotLeader}}, msgsOf[kv.Reply](env.takeSent()))

	// Its own acceptance makes it adopt the command again at slot 1, and
	// the client waiting there is answered.
	n.Receive(3, Promise{Ballot: ballot(10, 1), From: 1})
	require.Equal(t, nodes.RoleLeader, n.role)
	n.Receive(3, Accepted{Ballot: ballot(10, 1), Slot: 1, Count: 1})
	assert.Equal(t, []kv.Reply{{Client: 8, Seq: 1, Leader: 1}}, msgsOf[kv.Reply](env.takeSent()))
}

func TestLeaderWithoutALeaseStepsDownWhenRejected(t *testing.T) {
	n, env := newLeader(t, 3, DefaultConfig())
	b := n.ballot
	env.advance(DefaultConfig().FailureTimeoutMin)

	n.Receive(3, Nack{Ballot: b, Promised: ballot(9, 3)})

	assert.Equal(t, nodes.RoleFollower, n.role)
	assert.Empty(t, env.takeSent())
}
