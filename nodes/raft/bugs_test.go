package raft

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/consim/consim/nodes"
	"github.com/consim/consim/nodes/kv"
)

// The tests below check each Bugs field that is not covered by a case of a
// protocol table (TestVote, TestAppendEntriesFollower, TestCommitRule): the
// broken behaviour happens with the field set, and not without it.

func TestReplyBeforeSync(t *testing.T) {
	tests := []struct {
		name string
		// msg comes from server 2 to server 1, a fresh follower of term 1.
		msg nodes.Message
		// holds reports whether the state msg changed is in d.
		holds func(d durableState) bool
	}{
		{"vote", RequestVote{Term: 2}, func(d durableState) bool { return d.hard.term == 2 && d.hard.vote == 2 }},
		{"append", AppendEntries{Term: 1, Entries: entries(1, 1)}, func(d durableState) bool { return d.log.lastIndex() == 2 }},
	}
	for _, tt := range tests {
		for _, bug := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/ReplyBeforeSync=%v", tt.name, bug), func(t *testing.T) {
				env := newEnv(t, 1, 3)
				seedDisk(env.disk, hardState{term: 1}, nil)
				cfg := DefaultConfig()
				cfg.Bugs.ReplyBeforeSync = bug
				n := startNode(env, cfg)
				var atReply durableState
				env.onSend = func(sentMsg) { atReply = durable(env.disk) }

				n.Receive(2, tt.msg)

				require.Len(t, env.takeSent(), 1, "answered")
				assert.Equal(t, !bug, tt.holds(atReply), "durable at the reply")
				// A crash between two inputs keeps only what was synced.
				assert.Equal(t, !bug, tt.holds(durable(env.disk)), "durable once the input ends")

				// The next input, whatever it is, syncs it first.
				n.Receive(3, RequestVoteReply{Term: 0})
				assert.True(t, tt.holds(durable(env.disk)), "durable after the next input")
				assert.Empty(t, env.takeSent())
			})
		}
	}
}

func TestReplyBeforeSyncCrashLosesAcknowledgedEntries(t *testing.T) {
	env := newEnv(t, 1, 3)
	cfg := DefaultConfig()
	cfg.Bugs.ReplyBeforeSync = true
	n := startNode(env, cfg)
	n.Receive(2, AppendEntries{Term: 1, Entries: entries(1, 1)})
	require.Equal(t, []AppendEntriesReply{{Term: 1, Success: true, Index: 2}}, msgsOf[AppendEntriesReply](env.takeSent()))
	assert.Empty(t, factsOf[LogFact](env.takeFacts()), "nothing durable, nothing reported")

	env.disk.Crash()
	restarted := startNode(env.restartEnv(), cfg)
	assert.Equal(t, uint64(0), restarted.log.lastIndex(), "the acknowledged entries are gone")
}

func TestForgetVoteOnRestart(t *testing.T) {
	for _, bug := range []bool{false, true} {
		t.Run(fmt.Sprintf("ForgetVoteOnRestart=%v", bug), func(t *testing.T) {
			env := newEnv(t, 1, 3)
			cfg := DefaultConfig()
			cfg.Bugs.ForgetVoteOnRestart = bug
			n := startNode(env, cfg)
			n.Receive(2, RequestVote{Term: 4})
			require.Equal(t, []RequestVoteReply{{Term: 4, Granted: true}}, msgsOf[RequestVoteReply](env.takeSent()))

			env.disk.Crash()
			env2 := env.restartEnv()
			restarted := startNode(env2, cfg)
			restarted.Receive(3, RequestVote{Term: 4})

			assert.Equal(t, []RequestVoteReply{{Term: 4, Granted: bug}}, msgsOf[RequestVoteReply](env2.takeSent()),
				"a second vote in term 4")
			wantVote := nodes.ID(2)
			if bug {
				wantVote = 3
			}
			assert.Equal(t, wantVote, durable(env.disk).hard.vote)
		})
	}
}

func TestApplyBeforeCommit(t *testing.T) {
	for _, bug := range []bool{false, true} {
		t.Run(fmt.Sprintf("ApplyBeforeCommit=%v", bug), func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Bugs.ApplyBeforeCommit = bug
			n, env := newLeader(t, 3, hardState{}, nil, cfg)
			env.takeSent()

			n.Receive(8, kv.Request{Cmd: put(8, 1, "x", "1")})

			require.Equal(t, uint64(0), n.commit, "no follower has acknowledged")
			var wantReplies []kv.Reply
			wantApplied := uint64(0)
			if bug {
				wantReplies = []kv.Reply{{Client: 8, Seq: 1, Leader: 1}}
				wantApplied = 2
			}
			assert.Equal(t, wantReplies, msgsOf[kv.Reply](env.takeSent()), "answered before the commit")
			assert.Equal(t, wantApplied, n.applied)
			assert.Len(t, factsOf[kv.AppliedFact](env.takeFacts()), int(wantApplied))

			// A follower applies what it appends, committed or not.
			fenv := newEnv(t, 2, 3)
			f := startNode(fenv, cfg)
			f.Receive(1, AppendEntries{Term: 1, Entries: entries(1, 1)})
			assert.Equal(t, uint64(0), f.commit)
			assert.Equal(t, wantApplied, f.applied)
		})
	}
}

func TestReadLocally(t *testing.T) {
	for _, bug := range []bool{false, true} {
		t.Run(fmt.Sprintf("ReadLocally=%v", bug), func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Bugs.ReadLocally = bug
			n, env := newLeader(t, 3, hardState{}, nil, cfg)
			n.Receive(8, kv.Request{Cmd: put(8, 1, "x", "1")})
			commitAll(n, env)
			env.takeSent()
			last := n.log.lastIndex()

			// Nothing checks that this server still leads: had it been
			// cut off, another leader could have changed x since.
			n.Receive(9, kv.Request{Cmd: kv.Command{Client: 9, Seq: 1, Op: kv.OpGet, Key: "x"}})

			if bug {
				assert.Equal(t, []kv.Reply{{Client: 9, Seq: 1, Result: kv.Result{Value: "1"}, Leader: 1}},
					msgsOf[kv.Reply](env.takeSent()), "answered from the local state machine")
				assert.Equal(t, last, n.log.lastIndex(), "no log entry")
				return
			}
			assert.Empty(t, msgsOf[kv.Reply](env.takeSent()), "no answer before the read commits")
			assert.Equal(t, last+1, n.log.lastIndex(), "the get is a log entry")
		})
	}
}
