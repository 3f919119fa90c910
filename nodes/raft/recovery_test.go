package raft

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/consim/consim/nodes"
	"github.com/consim/consim/nodes/kv"
)

func TestRecoveryAfterCrash(t *testing.T) {
	env := newEnv(t, 2, 3)
	n := startNode(env, DefaultConfig())
	n.Receive(1, RequestVote{Term: 4})
	n.Receive(1, AppendEntries{Term: 4, Entries: entries(1, 4, 4)})
	n.Receive(1, AppendEntries{Term: 4, PrevLogIndex: 1, PrevLogTerm: 1, Entries: entriesFrom(2, 4, 4), LeaderCommit: 2})
	require.Equal(t, uint64(2), n.applied)

	env.disk.Crash()
	env2 := env.restartEnv()
	n2 := New(DefaultConfig())
	n2.Start(env2)

	assert.Equal(t, uint64(4), n2.term)
	assert.Equal(t, nodes.ID(1), n2.vote)
	assert.Equal(t, uint64(2), n2.commit)
	assert.Equal(t, entries(1, 4, 4), n2.log.from(0))
	assert.Equal(t, []nodes.Fact{
		LogFact{After: 0, Entries: entries(1, 4, 4)},
		HardStateFact{Term: 4, Vote: 1, Commit: 2},
		kv.AppliedFact{Index: 1, Cmd: entries(1)[0].Cmd},
		kv.AppliedFact{Index: 2, Cmd: entriesFrom(2, 4)[0].Cmd},
		nodes.RoleChanged{Role: nodes.RoleFollower, Epoch: 4},
	}, env2.takeFacts())
	assert.Equal(t, "v2@t4", n2.sm.Get("k2"), "state machine rebuilt")
	_, ok := env2.timer(timerElection)
	assert.True(t, ok)

	// The recovered vote still binds: no second vote in term 4.
	n2.Receive(3, RequestVote{Term: 4, LastLogIndex: 9, LastLogTerm: 4})
	assert.Equal(t, []RequestVoteReply{{Term: 4}}, msgsOf[RequestVoteReply](env2.takeSent()))
}

func TestRecoveryDropsTornTail(t *testing.T) {
	env := newEnv(t, 2, 3)
	seedDisk(env.disk, hardState{term: 2, vote: 1, commit: 1}, entries(1, 2))
	full := encodeLog(2, entriesFrom(3, 2))
	env.disk.Append(full[:len(full)-3]) // a torn write
	env.disk.Sync()

	n := startNode(env, DefaultConfig())

	assert.Equal(t, entries(1, 2), n.log.from(0))
	assert.Equal(t, uint64(1), n.commit)
	assert.Len(t, env.disk.Records(), 2, "rewritten so that nothing follows the bad record")
	d := durable(env.disk)
	assert.False(t, d.torn)
	assert.Equal(t, hardState{term: 2, vote: 1, commit: 1}, d.hard)
}

func TestRecoveryHaltsOnCorruptRecordInTheMiddle(t *testing.T) {
	env := newEnv(t, 2, 3)
	env.disk.Append([]byte{recordHardState, 1, 2, 3, 4, 5})
	seedDisk(env.disk, hardState{term: 2}, nil)
	assert.PanicsWithValue(t, nodes.CorruptStorage{Record: 0, Reason: "raft: record 0 of 3: raft: corrupt storage record"}, func() {
		New(DefaultConfig()).Start(env)
	})
}

func TestStorageIsCompacted(t *testing.T) {
	n, env := newLeader(t, 1, hardState{}, nil, DefaultConfig())
	for seq := uint64(1); seq <= 200; seq++ {
		n.Receive(7, kv.Request{Cmd: put(7, seq, "k", "v")})
	}
	require.Equal(t, uint64(201), n.commit)
	assert.LessOrEqual(t, len(env.disk.Records()), compactSlack+int(n.log.lastIndex()))
	d := durable(env.disk)
	assert.Equal(t, n.hardState(), d.hard)
	assert.Equal(t, n.log.from(0), d.log.from(0))
}
