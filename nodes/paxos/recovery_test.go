package paxos

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
	a, b, c := put(9, 1, "k", "a"), put(9, 2, "k", "b"), put(9, 3, "k", "c")
	n.Receive(1, Accept{Ballot: ballot(1, 1), Slot: 1, Cmds: []kv.Command{a, b}})
	n.Receive(1, Heartbeat{Ballot: ballot(1, 1), Chosen: 2})
	n.Receive(3, Prepare{Ballot: ballot(4, 3), From: 3})
	n.Receive(3, Accept{Ballot: ballot(4, 3), Slot: 3, Cmds: []kv.Command{c}})
	require.Equal(t, uint64(2), n.applied)

	env.disk.Crash()
	env2 := env.restartEnv()
	n2 := New(DefaultConfig())
	n2.Start(env2)

	assert.Equal(t, []nodes.Fact{
		PromiseFact{Ballot: ballot(4, 3)},
		kv.AppliedFact{Index: 1, Cmd: a},
		kv.AppliedFact{Index: 2, Cmd: b},
		nodes.RoleChanged{Role: nodes.RoleFollower, Epoch: 4},
	}, env2.takeFacts())
	assert.Equal(t, "b", n2.sm.Get("k"), "state machine rebuilt")
	assert.Equal(t, uint64(2), n2.learned)
	_, ok := env2.timer(timerFailure)
	assert.True(t, ok)

	// The recovered promise still binds, and the accepted value is reported.
	n2.Receive(1, Prepare{Ballot: ballot(3, 1), From: 1})
	n2.Receive(1, Prepare{Ballot: ballot(5, 1), From: 3})
	sent := env2.takeSent()
	assert.Equal(t, []Nack{{Ballot: ballot(3, 1), Promised: ballot(4, 3)}}, msgsOf[Nack](sent))
	assert.Equal(t, []Promise{{Ballot: ballot(5, 1), From: 3, Entries: []PromiseEntry{{Slot: 3, Ballot: ballot(4, 3), Cmd: c}}}},
		msgsOf[Promise](sent))
}

func TestRestartedLeaderNeverReusesABallot(t *testing.T) {
	n, env := newLeader(t, 3, DefaultConfig())
	used := n.ballot
	env.disk.Crash()
	env2 := env.restartEnv()
	n2 := startNode(env2, DefaultConfig())

	p := campaign(t, n2, env2)

	assert.True(t, used.Less(p.Ballot), "%v after %v", p.Ballot, used)
}

func TestRecoveryDropsTornTail(t *testing.T) {
	env := newEnv(t, 2, 3)
	env.disk.Append(encodePromise(ballot(2, 1)))
	env.disk.Append(encodeLearn(1, []kv.Command{put(9, 1, "k", "a")}))
	full := encodeAccept(ballot(2, 1), 2, []kv.Command{put(9, 2, "k", "b")})
	env.disk.Append(full[:len(full)-3]) // a torn write
	env.disk.Sync()

	n := startNode(env, DefaultConfig())

	assert.Equal(t, ballot(2, 1), n.promised)
	assert.Equal(t, uint64(1), n.learned)
	assert.Len(t, n.slots, 1)
	assert.Len(t, env.disk.Records(), 2, "rewritten so that nothing follows the bad record")
	assert.False(t, durable(env.disk).torn)
}

func TestRecoveryHaltsOnCorruptRecordInTheMiddle(t *testing.T) {
	env := newEnv(t, 2, 3)
	env.disk.Append([]byte{recordPromise, 1, 2, 3, 4, 5})
	env.disk.Append(encodePromise(ballot(2, 1)))
	env.disk.Sync()
	assert.PanicsWithValue(t, nodes.CorruptStorage{Record: 0, Reason: "paxos: record 0 of 2: paxos: corrupt storage record"}, func() {
		New(DefaultConfig()).Start(env)
	})
}

func TestStorageIsCompacted(t *testing.T) {
	n, env := newLeader(t, 3, DefaultConfig())
	for seq := uint64(1); seq <= 300; seq++ {
		n.Receive(7, kv.Request{Cmd: put(7, seq, "k", "v")})
		if seq%3 != 0 { // every third stays unchosen
			n.Receive(2, Accepted{Ballot: n.ballot, Slot: seq, Count: 1})
		}
	}
	assert.LessOrEqual(t, len(env.disk.Records()), compactSlack+len(n.slots))
	d := durable(env.disk)
	assert.Equal(t, n.promised, d.promised)
	require.Len(t, d.slots, len(n.slots))
	for i, sl := range n.slots {
		assert.Equal(t, sl.chosen, d.slots[i].chosen, "slot %d", i+1)
		assert.Equal(t, sl.value, d.slots[i].value, "slot %d", i+1)
		if !sl.chosen {
			assert.Equal(t, sl.acceptedBallot, d.slots[i].acceptedBallot, "slot %d", i+1)
			assert.Equal(t, sl.accepted, d.slots[i].accepted, "slot %d", i+1)
		}
	}
}
