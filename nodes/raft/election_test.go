package raft

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/consim/consim/nodes"
	"github.com/consim/consim/nodes/kv"
)

func TestStartIsFollowerWithElectionTimer(t *testing.T) {
	env := newEnv(t, 1, 3)
	n := New(DefaultConfig())
	n.Start(env)

	facts := env.takeFacts()
	assert.Equal(t, []nodes.RoleChanged{{Role: nodes.RoleFollower, Epoch: 0}}, factsOf[nodes.RoleChanged](facts))
	assert.Equal(t, []HardStateFact{{}}, factsOf[HardStateFact](facts))
	assert.Equal(t, []LogFact{{After: 0}}, factsOf[LogFact](facts))
	p, ok := env.timer(timerElection)
	require.True(t, ok)
	assert.GreaterOrEqual(t, p.at, DefaultConfig().ElectionTimeoutMin)
	assert.Less(t, p.at, DefaultConfig().ElectionTimeoutMax)
	assert.Empty(t, env.sent)
}

func TestElectionOnTimeout(t *testing.T) {
	env := newEnv(t, 1, 3)
	seedDisk(env.disk, hardState{term: 2}, entries(1, 2))
	n := startNode(env, DefaultConfig())

	env.fire(n, timerElection)

	facts := env.takeFacts()
	assert.Equal(t, []nodes.RoleChanged{{Role: nodes.RoleCandidate, Epoch: 3}}, factsOf[nodes.RoleChanged](facts))
	assert.Equal(t, []HardStateFact{{Term: 3, Vote: 1}}, factsOf[HardStateFact](facts))
	assert.Equal(t, hardState{term: 3, vote: 1}, durable(env.disk).hard, "self-vote durable")
	sent := env.takeSent()
	require.Len(t, sent, 2)
	for i, s := range sent {
		assert.Equal(t, nodes.ID(i+2), s.to)
		assert.Equal(t, RequestVote{Term: 3, LastLogIndex: 2, LastLogTerm: 2}, s.msg)
	}
	_, ok := env.timer(timerElection)
	assert.True(t, ok, "a candidate re-arms its election timer")

	// A split vote: the timer fires again and a new term starts.
	env.fire(n, timerElection)
	assert.Equal(t, uint64(4), n.term)
	assert.Len(t, msgsOf[RequestVote](env.takeSent()), 2)
}

func TestElectionWinAppendsNoop(t *testing.T) {
	env := newEnv(t, 1, 3)
	seedDisk(env.disk, hardState{term: 2, commit: 1}, entries(1, 2))
	n := startNode(env, DefaultConfig())
	env.fire(n, timerElection)
	env.takeSent()
	env.takeFacts()

	n.Receive(2, RequestVoteReply{Term: 3, Granted: false})
	assert.Equal(t, nodes.RoleCandidate, n.role, "a refusal does not count")
	n.Receive(3, RequestVoteReply{Term: 3, Granted: true})
	require.Equal(t, nodes.RoleLeader, n.role)

	facts := env.takeFacts()
	assert.Equal(t, []nodes.RoleChanged{{Role: nodes.RoleLeader, Epoch: 3}}, factsOf[nodes.RoleChanged](facts))
	assert.Equal(t, []LogFact{{After: 2, Entries: []Entry{{Term: 3, Cmd: kv.Noop}}}}, factsOf[LogFact](facts))
	sent := env.takeSent()
	require.Len(t, sent, 2)
	for _, s := range sent {
		assert.Equal(t, AppendEntries{Term: 3, PrevLogIndex: 2, PrevLogTerm: 2, LeaderCommit: 1,
			Entries: []Entry{{Term: 3, Cmd: kv.Noop}}}, s.msg)
	}
	_, ok := env.timer(timerHeartbeat)
	assert.True(t, ok)
	_, ok = env.timer(timerElection)
	assert.False(t, ok, "a leader has no election timer")
}

func TestSingleServerElectsItselfAndCommits(t *testing.T) {
	env := newEnv(t, 1, 1)
	n := startNode(env, DefaultConfig())
	env.fire(n, timerElection)
	require.Equal(t, nodes.RoleLeader, n.role)
	assert.Equal(t, uint64(1), n.commit)

	n.Receive(7, kv.Request{Cmd: put(7, 1, "x", "1")})
	assert.Equal(t, uint64(2), n.commit)
	assert.Equal(t, []kv.Reply{{Client: 7, Seq: 1, Leader: 1}}, msgsOf[kv.Reply](env.takeSent()))
}

func TestVote(t *testing.T) {
	tests := []struct {
		name string
		// The voter's (server 1) durable state.
		hard hardState
		log  []Entry
		bugs Bugs
		// The request, from server 2.
		req         RequestVote
		wantGranted bool
		wantTerm    uint64
		wantVote    nodes.ID
	}{
		{name: "empty logs", req: RequestVote{Term: 1},
			wantGranted: true, wantTerm: 1, wantVote: 2},
		{name: "higher last term wins though shorter", hard: hardState{term: 2}, log: entries(1, 1, 1),
			req: RequestVote{Term: 3, LastLogIndex: 1, LastLogTerm: 2}, wantGranted: true, wantTerm: 3, wantVote: 2},
		{name: "same last term, longer", hard: hardState{term: 2}, log: entries(1, 2),
			req: RequestVote{Term: 3, LastLogIndex: 3, LastLogTerm: 2}, wantGranted: true, wantTerm: 3, wantVote: 2},
		{name: "same last term, same length", hard: hardState{term: 2}, log: entries(1, 2),
			req: RequestVote{Term: 3, LastLogIndex: 2, LastLogTerm: 2}, wantGranted: true, wantTerm: 3, wantVote: 2},
		{name: "lower last term refused though longer", hard: hardState{term: 2}, log: entries(1, 2),
			req: RequestVote{Term: 3, LastLogIndex: 5, LastLogTerm: 1}, wantTerm: 3},
		{name: "same last term, shorter refused", hard: hardState{term: 2}, log: entries(1, 2),
			req: RequestVote{Term: 3, LastLogIndex: 1, LastLogTerm: 2}, wantTerm: 3},
		{name: "VoteWithoutLogCheck grants a stale log", hard: hardState{term: 2}, log: entries(1, 2),
			bugs: Bugs{VoteWithoutLogCheck: true},
			req:  RequestVote{Term: 3, LastLogIndex: 5, LastLogTerm: 1}, wantGranted: true, wantTerm: 3, wantVote: 2},
		{name: "VoteComparesLastIndexOnly grants a longer log of a lower last term", hard: hardState{term: 2}, log: entries(1, 2),
			bugs: Bugs{VoteComparesLastIndexOnly: true},
			req:  RequestVote{Term: 3, LastLogIndex: 5, LastLogTerm: 1}, wantGranted: true, wantTerm: 3, wantVote: 2},
		{name: "VoteComparesLastIndexOnly refuses a shorter log of a higher last term", hard: hardState{term: 2}, log: entries(1, 1, 1),
			bugs: Bugs{VoteComparesLastIndexOnly: true},
			req:  RequestVote{Term: 3, LastLogIndex: 1, LastLogTerm: 2}, wantTerm: 3},
		{name: "already voted for another in the term", hard: hardState{term: 3, vote: 3},
			req: RequestVote{Term: 3}, wantTerm: 3, wantVote: 3},
		{name: "VoteWithoutLogCheck still votes once per term", hard: hardState{term: 3, vote: 3},
			bugs: Bugs{VoteWithoutLogCheck: true}, req: RequestVote{Term: 3}, wantTerm: 3, wantVote: 3},
		{name: "a retried request gets the same vote", hard: hardState{term: 3, vote: 2},
			req: RequestVote{Term: 3}, wantGranted: true, wantTerm: 3, wantVote: 2},
		{name: "stale term refused", hard: hardState{term: 5},
			req: RequestVote{Term: 4, LastLogIndex: 9, LastLogTerm: 4}, wantTerm: 5},
		{name: "a vote in a new term after a vote in an old one", hard: hardState{term: 3, vote: 3},
			req: RequestVote{Term: 4}, wantGranted: true, wantTerm: 4, wantVote: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t, 1, 3)
			seedDisk(env.disk, tt.hard, tt.log)
			cfg := DefaultConfig()
			cfg.Bugs = tt.bugs
			n := startNode(env, cfg)
			var durableAtReply durableState
			env.onSend = func(sentMsg) { durableAtReply = durable(env.disk) }

			n.Receive(2, tt.req)

			sent := env.takeSent()
			require.Len(t, sent, 1)
			assert.Equal(t, nodes.ID(2), sent[0].to)
			assert.Equal(t, RequestVoteReply{Term: tt.wantTerm, Granted: tt.wantGranted}, sent[0].msg)
			assert.Equal(t, tt.wantTerm, durableAtReply.hard.term, "term durable before the reply")
			assert.Equal(t, tt.wantVote, durableAtReply.hard.vote, "vote durable before the reply")
			assert.Equal(t, nodes.RoleFollower, n.role)
		})
	}
}

func TestVoteResetsElectionTimerOnlyWhenGranted(t *testing.T) {
	env := newEnv(t, 1, 3)
	n := startNode(env, DefaultConfig())
	before, _ := env.timer(timerElection)
	n.Receive(2, RequestVote{Term: 0})
	// Term 0 equals the node's: a vote is granted and the timer re-armed.
	after, _ := env.timer(timerElection)
	assert.NotEqual(t, before.id, after.id)

	n.Receive(3, RequestVote{Term: 0})
	refused, _ := env.timer(timerElection)
	assert.Equal(t, after.id, refused.id)
	assert.Equal(t, []RequestVoteReply{{Granted: true}, {Granted: false}}, msgsOf[RequestVoteReply](env.takeSent()))
}

func TestHigherTermMakesFollower(t *testing.T) {
	for _, tt := range []struct {
		name       string
		msg        nodes.Message
		wantLeader nodes.ID
	}{
		{"vote reply", RequestVoteReply{Term: 9}, 0},
		{"append reply", AppendEntriesReply{Term: 9}, 0},
		{"vote request", RequestVote{Term: 9}, 0},
		{"append", AppendEntries{Term: 9}, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t, 1, 3)
			n := startNode(env, DefaultConfig())
			electLeader(t, n, env)
			env.takeFacts()

			n.Receive(2, tt.msg)

			assert.Equal(t, nodes.RoleFollower, n.role)
			assert.Equal(t, uint64(9), n.term)
			assert.Equal(t, tt.wantLeader, n.leader)
			facts := env.takeFacts()
			assert.Equal(t, []nodes.RoleChanged{{Role: nodes.RoleFollower, Epoch: 9}}, factsOf[nodes.RoleChanged](facts))
			require.NotEmpty(t, factsOf[HardStateFact](facts))
			assert.Equal(t, uint64(9), factsOf[HardStateFact](facts)[0].Term)
			assert.Equal(t, uint64(9), durable(env.disk).hard.term)
			_, ok := env.timer(timerHeartbeat)
			assert.False(t, ok)
			_, ok = env.timer(timerElection)
			assert.True(t, ok)
		})
	}
}

func TestCandidateStepsDownOnAppendOfItsTerm(t *testing.T) {
	env := newEnv(t, 1, 3)
	n := startNode(env, DefaultConfig())
	env.fire(n, timerElection)
	env.takeSent()

	n.Receive(3, AppendEntries{Term: 1, Entries: []Entry{{Term: 1, Cmd: kv.Noop}}})

	assert.Equal(t, nodes.RoleFollower, n.role)
	assert.Equal(t, nodes.ID(3), n.leader)
	assert.Equal(t, nodes.ID(1), n.vote, "the vote of the term stays")
	assert.Equal(t, []AppendEntriesReply{{Term: 1, Success: true, Index: 1, LastIndex: 0}}, msgsOf[AppendEntriesReply](env.takeSent()))
}

func TestStaleRequestsAreRejectedWithCurrentTerm(t *testing.T) {
	env := newEnv(t, 1, 3)
	seedDisk(env.disk, hardState{term: 5}, entries(1, 5))
	n := startNode(env, DefaultConfig())

	n.Receive(2, AppendEntries{Term: 4, PrevLogIndex: 1, PrevLogTerm: 1})
	n.Receive(2, AppendEntriesReply{Term: 4, Success: true, Index: 1})
	n.Receive(2, RequestVoteReply{Term: 4, Granted: true})

	assert.Equal(t, []sentMsg{{from: 1, to: 2, msg: AppendEntriesReply{Term: 5, Index: 1, LastIndex: 2}}}, env.takeSent())
	assert.Equal(t, uint64(5), n.term)
	assert.Equal(t, nodes.ID(0), n.leader)
}

func TestIllegalTransitionsPanic(t *testing.T) {
	env := newEnv(t, 1, 3)
	n := startNode(env, DefaultConfig())
	assert.Panics(t, func() { n.becomeLeader() }, "follower -> leader")
	electLeader(t, n, env)
	assert.Panics(t, func() { n.becomeCandidate() }, "leader -> candidate")
	assert.Panics(t, func() { n.becomeFollower(n.term-1, 0) }, "term going backwards")
}
