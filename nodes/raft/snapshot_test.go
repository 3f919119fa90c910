package raft

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/consim/consim/nodes"
	"github.com/consim/consim/nodes/kv"
)

// stateOf returns the state machine after applying es.
func stateOf(es []Entry) *kv.StateMachine {
	sm := kv.NewStateMachine()
	for _, e := range es {
		sm.Apply(e.Cmd)
	}
	return sm
}

func TestLogWithSnapshotOffset(t *testing.T) {
	l := raftLog{entries: entries(1, 1, 2, 2, 3, 3)}
	shared := l.slice(3, 5)
	l.compact(4)
	assert.Equal(t, uint64(4), l.snapIndex)
	assert.Equal(t, uint64(2), l.snapTerm)
	assert.Equal(t, uint64(6), l.lastIndex())
	assert.Equal(t, uint64(3), l.lastTerm())
	assert.Equal(t, uint64(2), l.term(4), "the last included entry keeps its term")
	assert.Equal(t, uint64(3), l.term(5))
	assert.Equal(t, entriesFrom(5, 3, 3), l.from(4))
	assert.Equal(t, entriesFrom(5, 3)[0], l.entry(5))
	assert.Equal(t, entriesFrom(3, 2, 2), shared, "a message's entries survive compaction")
	assert.True(t, l.holds(4, 2))
	assert.False(t, l.holds(4, 3))
	assert.False(t, l.holds(3, 2), "below the snapshot nothing is known")
	assert.True(t, l.holds(6, 3))
	assert.False(t, l.holds(7, 3))

	// Searches stop at the snapshot.
	assert.Equal(t, uint64(5), l.firstIndexOfTerm(6))
	assert.Equal(t, uint64(4), l.firstIndexOfTerm(4))
	for _, tt := range []struct {
		term, upTo, want uint64
		ok               bool
	}{
		{3, 9, 6, true}, {3, 5, 5, true}, {2, 9, 4, true}, {2, 4, 4, true}, {1, 9, 0, false}, {2, 3, 0, false},
	} {
		got, ok := l.lastIndexOfTerm(tt.term, tt.upTo)
		assert.Equal(t, tt.ok, ok, "lastIndexOfTerm(%d, %d)", tt.term, tt.upTo)
		assert.Equal(t, tt.want, got, "lastIndexOfTerm(%d, %d)", tt.term, tt.upTo)
	}

	assert.True(t, l.isUpToDate(6, 3))
	assert.False(t, l.isUpToDate(5, 3))
	l.truncate(4)
	assert.Equal(t, uint64(4), l.lastIndex())
	assert.Equal(t, uint64(2), l.lastTerm())
	assert.Empty(t, l.from(4))
	l.append(entriesFrom(5, 4)...)
	assert.Equal(t, uint64(4), l.term(5))

	assert.PanicsWithValue(t, "raft: entry 4 is out of range [snapIndex(4)+1, lastIndex(5)]", func() { l.entry(4) })
	assert.Panics(t, func() { l.term(3) })
	assert.Panics(t, func() { l.slice(4, 5) })
	assert.Panics(t, func() { l.truncate(3) })
	assert.Panics(t, func() { l.compact(3) })
	assert.Panics(t, func() { l.compact(6) })

	l.reset(9, 5)
	assert.Equal(t, uint64(9), l.lastIndex())
	assert.Equal(t, uint64(5), l.lastTerm())
	assert.Empty(t, l.from(9))
}

// snapshotLeader returns a single-server leader with cfg that has applied
// the no-op and count puts (client 7, seq 1..count) over three keys.
func snapshotLeader(t *testing.T, cfg Config, count uint64) (*Node, *fakeEnv, []nodes.Fact) {
	n, env := newLeader(t, 1, hardState{}, nil, cfg)
	for seq := uint64(1); seq <= count; seq++ {
		n.Receive(7, kv.Request{Cmd: put(7, seq, fmt.Sprintf("k%d", seq%3), fmt.Sprint(seq))})
	}
	require.Equal(t, count+1, n.applied)
	return n, env, env.takeFacts()
}

func diskBytes(d *nodes.Disk) int {
	total := 0
	for _, r := range d.Records() {
		total += len(r)
	}
	return total
}

func TestSnapshotCompactsLogAndStorage(t *testing.T) {
	cfg := DefaultConfig()
	cfg.SnapshotEvery = 10
	n, env, facts := snapshotLeader(t, cfg, 300)

	// A snapshot every 10 applied entries, the log holding only what
	// follows the last one.
	snaps := factsOf[SnapshotFact](facts)
	require.Len(t, snaps, 30)
	for k, f := range snaps {
		assert.Equal(t, uint64(10*(k+1)), f.Index)
		assert.Equal(t, uint64(1), f.Term)
	}
	assert.Equal(t, uint64(300), n.log.snapIndex)
	assert.Equal(t, uint64(301), n.log.lastIndex())
	assert.Len(t, n.log.entries, 1)
	restored, err := kv.RestoreStateMachine(n.snap.data)
	require.NoError(t, err)
	assert.Equal(t, snaps[29].Digest, restored.Digest())
	assert.Equal(t, "297", restored.Get("k0"), "index 300 is seq 299, after the no-op")

	// The disk holds the snapshot, the log after it and the hard state.
	d := durable(env.disk)
	assert.Equal(t, n.snap, d.snap)
	assert.Equal(t, n.log.snapIndex, d.log.snapIndex)
	assert.Equal(t, n.log.snapTerm, d.log.snapTerm)
	assert.Equal(t, n.log.from(300), d.log.from(300))
	assert.Equal(t, n.hardState(), d.hard)
	assert.LessOrEqual(t, len(env.disk.Records()), compactSlack+3)

	// Storage stays bounded: a fraction of what the uncompacted log takes.
	plain, plainEnv, plainFacts := snapshotLeader(t, DefaultConfig(), 300)
	assert.Empty(t, factsOf[SnapshotFact](plainFacts))
	assert.Equal(t, uint64(0), plain.log.snapIndex)
	assert.Less(t, 4*diskBytes(env.disk), diskBytes(plainEnv.disk),
		"compacted %d bytes, uncompacted %d", diskBytes(env.disk), diskBytes(plainEnv.disk))
	assert.Equal(t, plain.sm.Digest(), n.sm.Digest(), "the same state either way")
}

func TestSnapshotTakenOnlyEverySnapshotEvery(t *testing.T) {
	cfg := DefaultConfig()
	cfg.SnapshotEvery = 7
	n, _, facts := snapshotLeader(t, cfg, 12) // applied 13
	assert.Equal(t, []uint64{7}, indexesOf(factsOf[SnapshotFact](facts)))
	assert.Equal(t, uint64(7), n.log.snapIndex)
	// Facts of one sync: the snapshot first, then the log and hard state.
	for k, f := range facts {
		if s, ok := f.(SnapshotFact); ok {
			require.IsType(t, kv.AppliedFact{}, facts[k-1])
			assert.Equal(t, s.Index, facts[k-1].(kv.AppliedFact).Index, "taken right after applying its index")
		}
	}
}

func indexesOf(fs []SnapshotFact) []uint64 {
	var out []uint64
	for _, f := range fs {
		out = append(out, f.Index)
	}
	return out
}

func TestRestartFromSnapshot(t *testing.T) {
	cfg := DefaultConfig()
	cfg.SnapshotEvery = 10
	n, env, facts := snapshotLeader(t, cfg, 304) // snapshot at 300, applied 305
	last := factsOf[SnapshotFact](facts)[29]

	env.disk.Crash()
	env2 := env.restartEnv()
	n2 := New(cfg)
	n2.Start(env2)

	assert.Equal(t, n.sm.Digest(), n2.sm.Digest(), "state machine rebuilt from the snapshot and the entries after it")
	assert.Equal(t, uint64(305), n2.applied)
	assert.Equal(t, uint64(300), n2.log.snapIndex)
	assert.Equal(t, n.log.from(300), n2.log.from(300))
	var want []nodes.Fact
	want = append(want, last, LogFact{After: 300, Entries: n.log.from(300)}, HardStateFact{Term: 1, Vote: 1, Commit: 305})
	for i := uint64(301); i <= 305; i++ {
		want = append(want, kv.AppliedFact{Index: i, Cmd: n.log.entry(i).Cmd})
	}
	want = append(want, nodes.RoleChanged{Role: nodes.RoleFollower, Epoch: 1})
	assert.Equal(t, want, env2.takeFacts())

	// The sessions came back with the snapshot: a retry of the last
	// command the snapshot covers is a duplicate, not applied again.
	fromSnap, err := kv.RestoreStateMachine(n2.snap.data)
	require.NoError(t, err)
	_, outcome := fromSnap.Apply(put(7, 299, "k2", "again"))
	assert.Equal(t, kv.Duplicate, outcome)
	assert.Equal(t, "299", fromSnap.Get("k2"))
	_, outcome = n2.sm.Apply(put(7, 304, "k1", "again"))
	assert.Equal(t, kv.Duplicate, outcome)
	assert.Equal(t, "304", n2.sm.Get("k1"))
}

// installFollower is server 2 of 3 in term 2 holding entries of terms 1, 1,
// 2, 2, 2 with the first two committed and applied.
func installFollower(t *testing.T) (*Node, *fakeEnv) {
	env := newEnv(t, 2, 3)
	seedDisk(env.disk, hardState{term: 2, commit: 2}, entries(1, 1, 2, 2, 2))
	n := startNode(env, DefaultConfig())
	require.Equal(t, uint64(2), n.applied)
	return n, env
}

func TestInstallSnapshot(t *testing.T) {
	leaderLog := append(entries(1, 1), entriesFrom(3, 3, 3, 3, 3, 3, 3)...) // the leader's log in term 3
	tests := []struct {
		name string
		msg  InstallSnapshot
		// wantSnap is the follower's snapshot index afterwards (0: none);
		// wantLog its log after it; wantCommit its commit index.
		wantSnap   uint64
		wantLog    []Entry
		wantCommit uint64
		// wantState is the entries its state machine has applied.
		wantState []Entry
	}{
		{
			name:       "the last included entry matches: the entries after it stay",
			msg:        InstallSnapshot{Term: 3, LastIncludedIndex: 4, LastIncludedTerm: 2, Data: stateOf(entries(1, 1, 2, 2)).Snapshot()},
			wantSnap:   4,
			wantLog:    entriesFrom(5, 2),
			wantCommit: 4,
			wantState:  entries(1, 1, 2, 2),
		},
		{
			name:       "the last included entry differs: the whole log goes",
			msg:        InstallSnapshot{Term: 3, LastIncludedIndex: 4, LastIncludedTerm: 3, Data: stateOf(leaderLog[:4]).Snapshot()},
			wantSnap:   4,
			wantLog:    nil,
			wantCommit: 4,
			wantState:  leaderLog[:4],
		},
		{
			name:       "the snapshot reaches beyond the log",
			msg:        InstallSnapshot{Term: 3, LastIncludedIndex: 8, LastIncludedTerm: 3, Data: stateOf(leaderLog).Snapshot()},
			wantSnap:   8,
			wantLog:    nil,
			wantCommit: 8,
			wantState:  leaderLog,
		},
		{
			name:       "stale: the snapshot covers only committed entries",
			msg:        InstallSnapshot{Term: 3, LastIncludedIndex: 2, LastIncludedTerm: 1, Data: stateOf(entries(1, 1)).Snapshot()},
			wantLog:    entries(1, 1, 2, 2, 2),
			wantCommit: 2,
			wantState:  entries(1, 1),
		},
		{
			name:       "from an older term: refused",
			msg:        InstallSnapshot{Term: 1, LastIncludedIndex: 4, LastIncludedTerm: 2, Data: stateOf(entries(1, 1, 2, 2)).Snapshot()},
			wantLog:    entries(1, 1, 2, 2, 2),
			wantCommit: 2,
			wantState:  entries(1, 1),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, env := installFollower(t)
			var atReply durableState
			env.onSend = func(sentMsg) { atReply = durable(env.disk) }
			n.Receive(1, tt.msg)

			wantTerm := max(tt.msg.Term, 2)
			assert.Equal(t, []InstallSnapshotReply{{Term: wantTerm, Index: tt.wantCommit}}, msgsOf[InstallSnapshotReply](env.takeSent()))
			assert.Equal(t, tt.wantSnap, n.log.snapIndex)
			assert.Equal(t, tt.wantLog, orNil(n.log.from(n.log.snapIndex)))
			assert.Equal(t, tt.wantCommit, n.commit)
			assert.Equal(t, tt.wantCommit, n.applied)
			assert.Equal(t, stateOf(tt.wantState).Digest(), n.sm.Digest())
			// Durable before the reply.
			assert.Equal(t, hardState{term: wantTerm, commit: tt.wantCommit}, atReply.hard)
			assert.Equal(t, tt.wantSnap, atReply.log.snapIndex)
			assert.Equal(t, tt.wantLog, orNil(atReply.log.from(tt.wantSnap)))
			facts := env.takeFacts()
			if tt.wantSnap == 0 {
				assert.Empty(t, factsOf[SnapshotFact](facts))
				assert.Equal(t, uint64(0), atReply.log.snapIndex)
			} else {
				assert.Equal(t, tt.msg.Data, atReply.snap.data)
				assert.Equal(t, []nodes.Fact{
					nodes.RoleChanged{Role: nodes.RoleFollower, Epoch: 3},
					SnapshotFact{Index: tt.wantSnap, Term: tt.msg.LastIncludedTerm, Digest: stateOf(tt.wantState).Digest()},
					HardStateFact{Term: 3, Commit: tt.wantCommit},
				}, facts)
				assert.Equal(t, nodes.ID(1), n.leader, "learned the leader")
			}

			// A duplicate changes nothing.
			before := durable(env.disk)
			n.Receive(1, tt.msg)
			assert.Equal(t, []InstallSnapshotReply{{Term: wantTerm, Index: tt.wantCommit}}, msgsOf[InstallSnapshotReply](env.takeSent()))
			assert.Empty(t, env.takeFacts())
			assert.Equal(t, before, durable(env.disk))
			assert.Equal(t, stateOf(tt.wantState).Digest(), n.sm.Digest())

			// It restarts from what it installed.
			env.disk.Crash()
			env2 := env.restartEnv()
			n2 := New(DefaultConfig())
			n2.Start(env2)
			assert.Equal(t, tt.wantLog, orNil(n2.log.from(tt.wantSnap)))
			assert.Equal(t, tt.wantCommit, n2.applied)
			assert.Equal(t, stateOf(tt.wantState).Digest(), n2.sm.Digest())
		})
	}
}

func TestInstallSnapshotThenAppendEntries(t *testing.T) {
	// After the snapshot an AppendEntries from before it (reordered) is
	// clipped to what follows the snapshot, and one after it applies.
	n, env := installFollower(t)
	leaderLog := append(entries(1, 1), entriesFrom(3, 3, 3, 3, 3, 3, 3)...)
	n.Receive(1, InstallSnapshot{Term: 3, LastIncludedIndex: 4, LastIncludedTerm: 3, Data: stateOf(leaderLog[:4]).Snapshot()})
	env.takeSent()
	n.Receive(1, AppendEntries{Term: 3, PrevLogIndex: 2, PrevLogTerm: 1, Entries: leaderLog[2:6], LeaderCommit: 5})
	assert.Equal(t, []AppendEntriesReply{{Term: 3, Success: true, Index: 6, LastIndex: 4}}, msgsOf[AppendEntriesReply](env.takeSent()))
	assert.Equal(t, leaderLog[4:6], n.log.from(4))
	assert.Equal(t, uint64(5), n.applied)
	n.Receive(1, AppendEntries{Term: 3, PrevLogIndex: 1, PrevLogTerm: 1, Entries: leaderLog[1:3], LeaderCommit: 6})
	assert.Equal(t, []AppendEntriesReply{{Term: 3, Success: true, Index: 4, LastIndex: 6}}, msgsOf[AppendEntriesReply](env.takeSent()),
		"entries the snapshot covers match")
	assert.Equal(t, leaderLog[4:6], n.log.from(4), "nothing truncated")
	assert.Equal(t, uint64(5), n.commit, "commit follows the last new entry only")
	assert.Equal(t, stateOf(leaderLog[:5]).Digest(), n.sm.Digest())
}

// orNil returns es, or nil if it is empty.
func orNil(es []Entry) []Entry {
	if len(es) == 0 {
		return nil
	}
	return es
}

// appliedAll reports whether every up server of c has applied index.
func appliedAll(c *cluster, index uint64) bool {
	for i, n := range c.nodes {
		if c.up[i] && n.applied < index {
			return false
		}
	}
	return true
}

func TestLaggingFollowerCatchesUpBySnapshot(t *testing.T) {
	cfg := DefaultConfig()
	cfg.SnapshotEvery = 8
	c := newCluster(t, 3, cfg, 5)
	c.runUntil(1000, "leader", func() bool { return c.leader() != 0 })
	leader := c.leader()
	lagging := 1 + int(leader)%3 // a follower, by slot
	c.crash(lagging)

	// The two others commit and compact well past the lagging one's log.
	client := nodes.ID(4)
	for seq := uint64(1); seq <= 40; seq++ {
		c.call(put(client, seq, fmt.Sprintf("k%d", seq%4), fmt.Sprint(seq)), 1000)
	}
	l := c.nodes[leader-1]
	require.GreaterOrEqual(t, l.log.snapIndex, uint64(32))
	require.Zero(t, c.delivered[InstallSnapshot{}.Kind()])

	c.start(lagging)
	target := l.applied
	c.runUntil(10000, "the lagging follower caught up", func() bool { return appliedAll(c, target) })
	f := c.nodes[lagging]
	assert.Positive(t, c.delivered[InstallSnapshot{}.Kind()], "caught up by InstallSnapshot")
	assert.GreaterOrEqual(t, f.log.snapIndex, l.log.snapIndex-cfg.SnapshotEvery)
	c.runUntil(10000, "equal states", func() bool { return f.applied == l.applied })
	assert.Equal(t, l.sm.Digest(), f.sm.Digest(), "the same state, sessions included")
	assert.Equal(t, l.log.term(l.log.lastIndex()), f.log.term(f.log.lastIndex()))

	// The caught-up follower can lead: crash the leader, and the cluster
	// still serves, deduplicating a retry the snapshot covers.
	c.crash(int(leader) - 1)
	c.runUntil(10000, "a new leader", func() bool { return c.leader() != 0 && c.leader() != leader })
	c.replies = nil
	again := c.call(put(client, 40, "k0", "40"), 10000)
	assert.Equal(t, kv.Reply{Client: client, Seq: 40, Leader: c.leader()}, again)
	get := c.call(kv.Command{Client: client, Seq: 41, Op: kv.OpGet, Key: "k1"}, 10000)
	assert.Equal(t, "37", get.Result.Value)
	assert.Empty(t, c.panics)
	assert.Empty(t, c.checks.errs)
}

func TestChaosWithSnapshotsKeepsSafetyAndHeals(t *testing.T) {
	installs := 0
	for seed := uint64(1); seed <= 100; seed++ {
		cfg := DefaultConfig()
		cfg.SnapshotEvery = 1 + seed%5
		c, seq := chaosWith(t, seed, cfg)
		c.heal()
		client := nodes.ID(len(c.nodes) + 1)
		c.call(kv.Command{Client: client, Seq: seq, Op: kv.OpGet, Key: "k"}, 100000)
		require.Empty(t, c.panics, "seed %d", seed)
		require.Empty(t, c.checks.errs, "seed %d", seed)
		installs += c.delivered[InstallSnapshot{}.Kind()]
		for i, n := range c.nodes {
			require.LessOrEqual(t, len(c.envs[i].disk.Records()), compactSlack+len(n.log.entries)+3, "seed %d server %d", seed, i+1)
		}
	}
	assert.Positive(t, installs)
}

func TestChaosWithSnapshotsIsDeterministic(t *testing.T) {
	cfg := DefaultConfig()
	cfg.SnapshotEvery = 2
	a, _ := chaosWith(t, 7, cfg)
	b, _ := chaosWith(t, 7, cfg)
	plain, _ := chaos(t, 7, Bugs{})
	assert.Equal(t, a.fingerprint, b.fingerprint)
	assert.NotEqual(t, a.fingerprint, plain.fingerprint, "snapshots change the run")
}

func TestSnapshotRecord(t *testing.T) {
	snap := snapshot{index: 3, term: 2, data: stateOf(entries(1, 2, 2)).Snapshot()}
	got, err := decodeSnapshot(mustUnseal(t, encodeSnapshot(snap), recordSnapshot))
	require.NoError(t, err)
	assert.Equal(t, snap, got)

	t.Run("replay compacts a matching log and keeps the entries after", func(t *testing.T) {
		d := replay([][]byte{
			encodeLog(0, entries(1, 2, 2, 2)),
			encodeHardState(hardState{term: 2, commit: 3}),
			encodeSnapshot(snap),
			encodeLog(4, entriesFrom(5, 2)),
		})
		assert.Equal(t, snap, d.snap)
		assert.Equal(t, uint64(3), d.log.snapIndex)
		assert.Equal(t, uint64(2), d.log.snapTerm)
		assert.Equal(t, entriesFrom(4, 2, 2), d.log.from(3))
		assert.False(t, d.torn)
	})
	t.Run("replay of an installed snapshot discards a log that does not match, and commits", func(t *testing.T) {
		d := replay([][]byte{
			encodeLog(0, entries(1, 1, 1, 1)),
			encodeHardState(hardState{term: 2, commit: 1}),
			encodeSnapshot(snap),
		})
		assert.Equal(t, uint64(3), d.log.lastIndex())
		assert.Empty(t, d.log.from(3))
		assert.Equal(t, uint64(3), d.hard.commit, "a snapshot is of committed entries")
	})
	t.Run("compacted disk", func(t *testing.T) {
		hs := hardState{term: 4, vote: 2, commit: 4}
		d := replay(compacted(hs, snap, entriesFrom(4, 3, 4)))
		assert.Equal(t, hs, d.hard)
		assert.Equal(t, snap, d.snap)
		assert.Equal(t, entriesFrom(4, 3, 4), d.log.from(3))
		assert.Len(t, compacted(hs, snapshot{}, entries(1)), 2, "no snapshot: as before")
	})

	badData := encodeSnapshot(snapshot{index: 3, term: 2, data: []byte{9, 9}})
	torn := encodeSnapshot(snap)
	torn = torn[:len(torn)-5]
	base := [][]byte{encodeLog(0, entries(1, 2, 2, 2)), encodeHardState(hardState{term: 2, commit: 3})}
	tests := []struct {
		name string
		// prefix is written before base and the bad record.
		prefix [][]byte
		bad    []byte
	}{
		{name: "torn", bad: torn},
		{name: "state machine does not decode", bad: badData},
		{name: "index 0", bad: encodeSnapshot(snapshot{index: 0, term: 2, data: snap.data})},
		{name: "length beyond the record", bad: seal(append([]byte{recordSnapshot, 3, 2, 200}, snap.data...))},
		{name: "snapshot going back", prefix: [][]byte{encodeSnapshot(snapshot{index: 4, term: 2, data: snap.data})}, bad: encodeSnapshot(snap)},
		{name: "log record inside the snapshot", prefix: [][]byte{encodeSnapshot(snap)}, bad: encodeLog(2, entriesFrom(3, 3))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			records := append(append(slicesClone(base), tt.prefix...), tt.bad)
			good := replay(records[:len(records)-1])
			d := replay(records)
			assert.True(t, d.torn, "a bad last record is a torn write")
			assert.Equal(t, good, durableState{hard: d.hard, log: d.log, snap: d.snap}, "and changes nothing")
			assert.Panics(t, func() { replay(append(records, base[1])) }, "a bad record in the middle halts")
		})
	}
}

func slicesClone(rs [][]byte) [][]byte { return append([][]byte(nil), rs...) }

func TestRecoveryDropsTornSnapshot(t *testing.T) {
	// A snapshot being installed when the node crashed mid-write: the node
	// comes back with its old log, the disk rewritten.
	env := newEnv(t, 2, 3)
	seedDisk(env.disk, hardState{term: 2, commit: 1}, entries(1, 2))
	rec := encodeSnapshot(snapshot{index: 5, term: 2, data: stateOf(entries(1, 2, 2, 2, 2)).Snapshot()})
	env.disk.Append(rec[:len(rec)/2])
	env.disk.Sync()
	n := startNode(env, DefaultConfig())
	assert.Equal(t, entries(1, 2), n.log.from(0))
	assert.Nil(t, n.snap.data)
	assert.Len(t, env.disk.Records(), 2)
	assert.False(t, durable(env.disk).torn)
}

func TestLeaderSendsSnapshotToLaggingFollower(t *testing.T) {
	cfg := DefaultConfig()
	cfg.SnapshotEvery = 4
	n, env := newLeader(t, 3, hardState{}, nil, cfg)
	for seq := uint64(1); seq <= 6; seq++ {
		n.Receive(7, kv.Request{Cmd: put(7, seq, "k", fmt.Sprint(seq))})
		n.Receive(2, AppendEntriesReply{Term: 1, Success: true, Index: n.log.lastIndex()})
	}
	require.Equal(t, uint64(7), n.applied)
	require.Equal(t, uint64(4), n.log.snapIndex)
	env.takeSent()

	// Server 3 never answered: the leader still probes it at index 1,
	// which the snapshot covers, so a heartbeat sends the snapshot.
	require.Equal(t, uint64(1), n.progress[2].next)
	env.fire(n, timerHeartbeat)
	var toServer3 []nodes.Message
	for _, m := range env.takeSent() {
		if m.to == 3 {
			toServer3 = append(toServer3, m.msg)
		}
	}
	assert.Equal(t, []nodes.Message{InstallSnapshot{Term: 1, LastIncludedIndex: 4, LastIncludedTerm: 1, Data: n.snap.data}}, toServer3)

	// The next heartbeat resends it while server 3 has not answered.
	env.fire(n, timerHeartbeat)
	assert.Len(t, msgsOf[InstallSnapshot](env.takeSent()), 1)

	// Its answer counts like an append: the entries after the snapshot
	// follow, and it counts towards commits.
	n.Receive(3, InstallSnapshotReply{Term: 1, Index: 4})
	assert.Equal(t, []AppendEntries{{Term: 1, PrevLogIndex: 4, PrevLogTerm: 1, Entries: n.log.from(4), LeaderCommit: 7}},
		msgsOf[AppendEntries](env.takeSent()))
	assert.Equal(t, uint64(4), n.progress[2].match)
	assert.True(t, n.progress[2].replicating)

	// A stale or duplicate reply changes nothing.
	n.Receive(3, InstallSnapshotReply{Term: 1, Index: 4})
	n.Receive(3, InstallSnapshotReply{Term: 1, Index: 2})
	assert.Equal(t, uint64(4), n.progress[2].match)
	// A reply of a higher term deposes the leader.
	n.Receive(3, InstallSnapshotReply{Term: 5})
	assert.Equal(t, nodes.RoleFollower, n.role)
	assert.Equal(t, uint64(5), n.term)
}

func TestStaleInstallSnapshotIsRefused(t *testing.T) {
	n, env := installFollower(t)
	n.Receive(1, InstallSnapshot{Term: 1, LastIncludedIndex: 9, LastIncludedTerm: 1, Data: kv.NewStateMachine().Snapshot()})
	assert.Equal(t, []InstallSnapshotReply{{Term: 2, Index: 2}}, msgsOf[InstallSnapshotReply](env.takeSent()))
	assert.Empty(t, env.takeFacts())
	assert.Equal(t, uint64(5), n.log.lastIndex())
	assert.Equal(t, uint64(0), n.log.snapIndex)
}

func TestLeaderAfterInstallServesClients(t *testing.T) {
	// A follower that installed a snapshot wins the next election: its
	// applied index jumped over the snapshot, and it answers clients for
	// the entries after it, deduplicating a retry the snapshot covers.
	n, env := installFollower(t)
	leaderLog := append(entries(1, 1), entriesFrom(3, 3, 3, 3, 3, 3, 3)...)
	n.Receive(1, InstallSnapshot{Term: 3, LastIncludedIndex: 8, LastIncludedTerm: 3, Data: stateOf(leaderLog).Snapshot()})
	require.Equal(t, uint64(8), n.applied)
	electLeader(t, n, env)
	require.Equal(t, uint64(9), n.log.lastIndex(), "the no-op follows the snapshot")

	fresh := put(5, 1, "x", "1")
	retry := leaderLog[7].Cmd // applied at index 8, inside the snapshot
	n.Receive(5, kv.Request{Cmd: fresh})
	n.Receive(9, kv.Request{Cmd: retry})
	env.takeSent()
	n.Receive(3, AppendEntriesReply{Term: n.term, Success: true, Index: 11})
	assert.Equal(t, uint64(11), n.applied)
	assert.Equal(t, []kv.Reply{
		{Client: 5, Seq: 1, Leader: 2},
		{Client: 9, Seq: 8, Leader: 2},
	}, msgsOf[kv.Reply](env.takeSent()))
	assert.Equal(t, "1", n.sm.Get("x"))
	assert.Equal(t, leaderLog[7].Cmd.Value, n.sm.Get(retry.Key), "the retry did not apply again")
	assert.Equal(t, stateOf(append(slicesCloneEntries(leaderLog), Entry{Cmd: fresh})).Digest(), n.sm.Digest())
}

func slicesCloneEntries(es []Entry) []Entry { return append([]Entry(nil), es...) }
