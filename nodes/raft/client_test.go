package raft

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/consim/consim/nodes"
	"github.com/consim/consim/nodes/kv"
)

func TestRequestToNonLeader(t *testing.T) {
	tests := []struct {
		name       string
		setup      func(*Node, *fakeEnv)
		wantLeader nodes.ID
	}{
		{"follower without a leader", func(*Node, *fakeEnv) {}, 0},
		{"follower that heard from the leader", func(n *Node, _ *fakeEnv) { n.Receive(3, AppendEntries{Term: 1}) }, 3},
		{"candidate", func(n *Node, env *fakeEnv) { env.fire(n, timerElection) }, 0},
		{"follower of a newer term forgets the old leader", func(n *Node, _ *fakeEnv) {
			n.Receive(3, AppendEntries{Term: 1})
			n.Receive(3, RequestVote{Term: 2})
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
			assert.Equal(t, uint64(0), n.log.lastIndex(), "nothing appended")
		})
	}
}

// commitAll acknowledges the leader's whole log from server 2 and returns
// the client replies sent.
func commitAll(n *Node, env *fakeEnv) []kv.Reply {
	n.Receive(2, AppendEntriesReply{Term: n.term, Success: true, Index: n.log.lastIndex()})
	return msgsOf[kv.Reply](env.takeSent())
}

func TestLeaderRepliesOnceApplied(t *testing.T) {
	n, env := newLeader(t, 3, hardState{}, nil, DefaultConfig())
	env.takeSent()
	n.Receive(8, kv.Request{Cmd: put(8, 1, "x", "1")})
	n.Receive(9, kv.Request{Cmd: kv.Command{Client: 9, Seq: 1, Op: kv.OpGet, Key: "x"}})
	assert.Empty(t, msgsOf[kv.Reply](env.takeSent()), "no reply before commit")
	require.Equal(t, uint64(3), n.log.lastIndex(), "the get is a log entry")

	assert.Equal(t, []kv.Reply{
		{Client: 8, Seq: 1, Leader: 1},
		{Client: 9, Seq: 1, Result: kv.Result{Value: "1"}, Leader: 1},
	}, commitAll(n, env))
	assert.Empty(t, n.waits)
}

func TestLeaderRetries(t *testing.T) {
	n, env := newLeader(t, 3, hardState{}, nil, DefaultConfig())
	cas := kv.Command{Client: 8, Seq: 1, Op: kv.OpCAS, Key: "x", Expected: "", Value: "1"}
	n.Receive(8, kv.Request{Cmd: cas})
	n.Receive(8, kv.Request{Cmd: cas})
	assert.Equal(t, uint64(2), n.log.lastIndex(), "a retry of a waiting command is not appended again")
	ok := kv.Reply{Client: 8, Seq: 1, Result: kv.Result{OK: true}, Leader: 1}
	assert.Equal(t, []kv.Reply{ok}, commitAll(n, env))

	// A retry after the answer was lost: appended again, applied as a
	// duplicate, answered with the cached result.
	n.Receive(8, kv.Request{Cmd: cas})
	assert.Equal(t, []kv.Reply{ok}, commitAll(n, env))

	// A command older than the client's latest gets no answer.
	n.Receive(8, kv.Request{Cmd: put(8, 2, "x", "2")})
	n.Receive(8, kv.Request{Cmd: cas})
	assert.Equal(t, []kv.Reply{{Client: 8, Seq: 2, Leader: 1}}, commitAll(n, env))
}

func TestDeposedLeaderForgetsWaits(t *testing.T) {
	n, env := newLeader(t, 3, hardState{}, nil, DefaultConfig())
	n.Receive(2, AppendEntriesReply{Term: 1, Success: true, Index: 1})
	n.Receive(8, kv.Request{Cmd: put(8, 1, "x", "1")})
	require.Len(t, n.waits, 1)

	// A new leader that kept the entry commits it; nobody answers the
	// client from here, which retries at the new leader.
	n.Receive(3, AppendEntries{Term: 2, PrevLogIndex: 2, PrevLogTerm: 1, LeaderCommit: 2})
	assert.Equal(t, uint64(2), n.applied)
	assert.Empty(t, msgsOf[kv.Reply](env.takeSent()))
}

func TestAnswerDropsWaitForOverwrittenEntry(t *testing.T) {
	n, env := newLeader(t, 3, hardState{}, nil, DefaultConfig())
	n.waits = []wait{{index: 2, to: 8, client: 8, seq: 1}, {index: 3, to: 9, client: 9, seq: 1}}
	n.answer(2, put(7, 1, "k", "v"), kv.Result{}, kv.Applied)
	n.answer(3, put(9, 1, "k", "v"), kv.Result{}, kv.Applied)
	assert.Equal(t, []kv.Reply{{Client: 9, Seq: 1, Leader: 1}}, msgsOf[kv.Reply](env.takeSent()))
	assert.Empty(t, n.waits)
}
