package raft

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/consim/consim/nodes"
	"github.com/consim/consim/nodes/kv"
)

func TestAppendEntriesFollower(t *testing.T) {
	tests := []struct {
		name   string
		commit uint64
		log    []Entry
		bugs   Bugs
		// msg comes from server 1 in term 3, the follower's term.
		msg        AppendEntries
		wantReply  AppendEntriesReply
		wantLog    []Entry
		wantFacts  []LogFact
		wantCommit uint64
	}{
		{name: "heartbeat on an empty log",
			msg:       AppendEntries{},
			wantReply: AppendEntriesReply{Success: true}},
		{name: "too short: hint is the last index",
			log:       entries(1, 1),
			msg:       AppendEntries{PrevLogIndex: 5, PrevLogTerm: 3},
			wantReply: AppendEntriesReply{Index: 5, LastIndex: 2},
			wantLog:   entries(1, 1)},
		{name: "term mismatch: hint is the conflicting term and its first index",
			log:       entries(1, 2, 2, 2),
			msg:       AppendEntries{PrevLogIndex: 4, PrevLogTerm: 3, Entries: entriesFrom(5, 3)},
			wantReply: AppendEntriesReply{Index: 4, ConflictTerm: 2, ConflictIndex: 2, LastIndex: 4},
			wantLog:   entries(1, 2, 2, 2)},
		{name: "term mismatch in the first term",
			log:       entries(1, 1, 1),
			msg:       AppendEntries{PrevLogIndex: 2, PrevLogTerm: 3},
			wantReply: AppendEntriesReply{Index: 2, ConflictTerm: 1, ConflictIndex: 1, LastIndex: 3},
			wantLog:   entries(1, 1, 1)},
		{name: "append at the end",
			log:       entries(1, 1),
			msg:       AppendEntries{PrevLogIndex: 2, PrevLogTerm: 1, Entries: entriesFrom(3, 3, 3)},
			wantReply: AppendEntriesReply{Success: true, Index: 4, LastIndex: 2},
			wantLog:   entries(1, 1, 3, 3),
			wantFacts: []LogFact{{After: 2, Entries: entriesFrom(3, 3, 3)}}},
		{name: "conflict truncates and appends",
			log:       entries(1, 2, 2),
			msg:       AppendEntries{PrevLogIndex: 1, PrevLogTerm: 1, Entries: entriesFrom(2, 3, 3)},
			wantReply: AppendEntriesReply{Success: true, Index: 3, LastIndex: 3},
			wantLog:   entries(1, 3, 3),
			wantFacts: []LogFact{{After: 1, Entries: entriesFrom(2, 3, 3)}}},
		{name: "conflict after matching entries truncates only at the conflict",
			log:       entries(1, 1, 2, 2),
			msg:       AppendEntries{PrevLogIndex: 1, PrevLogTerm: 1, Entries: entriesFrom(2, 1, 3)},
			wantReply: AppendEntriesReply{Success: true, Index: 3, LastIndex: 4},
			wantLog:   entries(1, 1, 3),
			wantFacts: []LogFact{{After: 2, Entries: entriesFrom(3, 3)}}},
		{name: "stale matching append does not truncate",
			log:       entries(1, 1, 1),
			msg:       AppendEntries{PrevLogIndex: 0, Entries: entriesFrom(1, 1)},
			wantReply: AppendEntriesReply{Success: true, Index: 1, LastIndex: 3},
			wantLog:   entries(1, 1, 1)},
		{name: "TruncateOnEveryAppend: a stale matching append drops the entries after it",
			log:       entries(1, 1, 1),
			bugs:      Bugs{TruncateOnEveryAppend: true},
			msg:       AppendEntries{PrevLogIndex: 0, Entries: entriesFrom(1, 1)},
			wantReply: AppendEntriesReply{Success: true, Index: 1, LastIndex: 3},
			wantLog:   entries(1),
			wantFacts: []LogFact{{After: 1, Entries: []Entry{}}}},
		{name: "TruncateOnEveryAppend keeps the entries it knows committed",
			commit:     2,
			log:        entries(1, 1, 1),
			bugs:       Bugs{TruncateOnEveryAppend: true},
			msg:        AppendEntries{PrevLogIndex: 0, Entries: entriesFrom(1, 1)},
			wantReply:  AppendEntriesReply{Success: true, Index: 1, LastIndex: 3},
			wantLog:    entries(1, 1),
			wantFacts:  []LogFact{{After: 2, Entries: []Entry{}}},
			wantCommit: 2},
		{name: "commit is capped by the last new entry",
			log:        entries(1, 1, 1, 1),
			msg:        AppendEntries{PrevLogIndex: 1, PrevLogTerm: 1, Entries: entriesFrom(2, 1), LeaderCommit: 4},
			wantReply:  AppendEntriesReply{Success: true, Index: 2, LastIndex: 4},
			wantLog:    entries(1, 1, 1, 1),
			wantCommit: 2},
		{name: "CommitToLastIndex commits past the last new entry",
			log:        entries(1, 1, 1, 1),
			bugs:       Bugs{CommitToLastIndex: true},
			msg:        AppendEntries{PrevLogIndex: 1, PrevLogTerm: 1, Entries: entriesFrom(2, 1), LeaderCommit: 4},
			wantReply:  AppendEntriesReply{Success: true, Index: 2, LastIndex: 4},
			wantLog:    entries(1, 1, 1, 1),
			wantCommit: 4},
		{name: "a rejected append leaves the commit index",
			log:       entries(1, 2, 2),
			msg:       AppendEntries{PrevLogIndex: 3, PrevLogTerm: 3, LeaderCommit: 3},
			wantReply: AppendEntriesReply{Index: 3, ConflictTerm: 2, ConflictIndex: 2, LastIndex: 3},
			wantLog:   entries(1, 2, 2)},
		{name: "CommitToLastIndex commits stale entries from a rejected append",
			log:        entries(1, 2, 2),
			bugs:       Bugs{CommitToLastIndex: true},
			msg:        AppendEntries{PrevLogIndex: 3, PrevLogTerm: 3, LeaderCommit: 3},
			wantReply:  AppendEntriesReply{Index: 3, ConflictTerm: 2, ConflictIndex: 2, LastIndex: 3},
			wantLog:    entries(1, 2, 2),
			wantCommit: 3},
		{name: "commit follows the leader's",
			log:        entries(1, 1, 1, 1),
			msg:        AppendEntries{PrevLogIndex: 3, PrevLogTerm: 1, LeaderCommit: 1},
			wantReply:  AppendEntriesReply{Success: true, Index: 3, LastIndex: 4},
			wantLog:    entries(1, 1, 1, 1),
			wantCommit: 1},
		{name: "commit never goes backwards",
			commit:     3,
			log:        entries(1, 1, 1, 1),
			msg:        AppendEntries{PrevLogIndex: 1, PrevLogTerm: 1, LeaderCommit: 1},
			wantReply:  AppendEntriesReply{Success: true, Index: 1, LastIndex: 4},
			wantLog:    entries(1, 1, 1, 1),
			wantCommit: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t, 2, 3)
			seedDisk(env.disk, hardState{term: 3, commit: tt.commit}, tt.log)
			cfg := DefaultConfig()
			cfg.Bugs = tt.bugs
			n := startNode(env, cfg)
			var atReply durableState
			env.onSend = func(sentMsg) { atReply = durable(env.disk) }
			tt.msg.Term = 3
			tt.wantReply.Term = 3

			n.Receive(1, tt.msg)

			assert.Equal(t, []sentMsg{{from: 2, to: 1, msg: tt.wantReply}}, env.takeSent())
			assert.Equal(t, nodes.ID(1), n.leader)
			assert.Equal(t, tt.wantLog, atReply.log.from(0), "log durable at the reply")
			assert.Equal(t, tt.wantCommit, atReply.hard.commit, "commit durable at the reply")
			facts := env.takeFacts()
			assert.Equal(t, tt.wantFacts, factsOf[LogFact](facts))
			var wantApplied []kv.AppliedFact
			for i := tt.commit + 1; i <= tt.wantCommit; i++ {
				wantApplied = append(wantApplied, kv.AppliedFact{Index: i, Cmd: tt.log[i-1].Cmd})
			}
			assert.Equal(t, wantApplied, factsOf[kv.AppliedFact](facts))
		})
	}
}

func TestAppendEntriesResetsElectionTimer(t *testing.T) {
	env := newEnv(t, 2, 3)
	n := startNode(env, DefaultConfig())
	before, _ := env.timer(timerElection)
	n.Receive(1, AppendEntries{})
	after, ok := env.timer(timerElection)
	require.True(t, ok)
	assert.NotEqual(t, before.id, after.id)
}

func TestTruncatingCommittedEntryPanics(t *testing.T) {
	env := newEnv(t, 2, 3)
	seedDisk(env.disk, hardState{term: 3, commit: 2}, entries(1, 2))
	n := startNode(env, DefaultConfig())
	assert.PanicsWithValue(t,
		"raft: node n2 entry 2 (term 3) conflicts with committed entry (term 2, commit 2)",
		func() {
			n.Receive(1, AppendEntries{Term: 3, PrevLogIndex: 1, PrevLogTerm: 1, Entries: entriesFrom(2, 3)})
		})
}

// newLeader returns server 1 of size servers, recovered with log and hs,
// elected by timeout and votes; it has appended its no-op.
func newLeader(t *testing.T, size int, hs hardState, log []Entry, cfg Config) (*Node, *fakeEnv) {
	env := newEnv(t, 1, size)
	seedDisk(env.disk, hs, log)
	n := startNode(env, cfg)
	electLeader(t, n, env)
	env.takeFacts()
	return n, env
}

func TestCommitRule(t *testing.T) {
	// Figure 8: the leader of term 3 holds an entry of term 2 that a
	// majority holds, and its own no-op (index 3) that only it holds.
	tests := []struct {
		name string
		bugs Bugs
		size int
		// acks are successful replies (server, index), in order.
		acks       [][2]uint64
		wantCommit uint64
	}{
		{name: "prior-term entry is not committed by counting", size: 3,
			acks: [][2]uint64{{2, 2}}, wantCommit: 1},
		{name: "CommitPriorTermByCount commits it", size: 3, bugs: Bugs{CommitPriorTermByCount: true},
			acks: [][2]uint64{{2, 2}}, wantCommit: 2},
		{name: "current-term entry commits everything before it", size: 3,
			acks: [][2]uint64{{2, 2}, {2, 3}}, wantCommit: 3},
		{name: "one ack of five is no majority", size: 5,
			acks: [][2]uint64{{2, 3}}, wantCommit: 1},
		{name: "two acks of five are a majority", size: 5,
			acks: [][2]uint64{{2, 3}, {4, 3}}, wantCommit: 3},
		{name: "duplicate acks of one server count once", size: 5,
			acks: [][2]uint64{{2, 3}, {2, 3}}, wantCommit: 1},
		{name: "CommitQuorum 2 of 5 commits on one ack", size: 5, bugs: Bugs{CommitQuorum: 2},
			acks: [][2]uint64{{2, 3}}, wantCommit: 3},
		{name: "CommitQuorum above the cluster size needs every server", size: 3, bugs: Bugs{CommitQuorum: 9},
			acks: [][2]uint64{{2, 3}}, wantCommit: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Bugs = tt.bugs
			n, env := newLeader(t, tt.size, hardState{term: 2, commit: 1}, entries(1, 2), cfg)
			require.Equal(t, uint64(3), n.term)
			for _, ack := range tt.acks {
				n.Receive(nodes.ID(ack[0]), AppendEntriesReply{Term: 3, Success: true, Index: ack[1]})
			}
			assert.Equal(t, tt.wantCommit, n.commit)
			assert.Equal(t, tt.wantCommit, durable(env.disk).hard.commit)
			applied := factsOf[kv.AppliedFact](env.takeFacts())
			assert.Len(t, applied, int(tt.wantCommit-1))
		})
	}
}

func TestLeaderBacktracking(t *testing.T) {
	tests := []struct {
		name string
		// The leader's log before its no-op of term 7.
		log      []Entry
		reject   AppendEntriesReply
		wantPrev uint64
	}{
		{name: "follower too short", log: entries(1, 1, 1, 4, 4),
			reject:   AppendEntriesReply{Index: 5, LastIndex: 2},
			wantPrev: 2},
		{name: "leader lacks the conflicting term", log: entries(4, 6, 6, 6),
			reject:   AppendEntriesReply{Index: 4, ConflictTerm: 5, ConflictIndex: 2, LastIndex: 5},
			wantPrev: 1},
		{name: "leader has the conflicting term", log: entries(4, 4, 4, 6, 6),
			reject:   AppendEntriesReply{Index: 5, ConflictTerm: 4, ConflictIndex: 1, LastIndex: 5},
			wantPrev: 3},
		{name: "leader's entries of the term after the rejected index do not count", log: entries(1, 2, 2, 3),
			reject:   AppendEntriesReply{Index: 4, ConflictTerm: 3, ConflictIndex: 2, LastIndex: 4},
			wantPrev: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, env := newLeader(t, 3, hardState{term: 6}, tt.log, DefaultConfig())
			tt.reject.Term = n.term

			n.Receive(2, tt.reject)

			sent := msgsOf[AppendEntries](env.takeSent())
			require.Len(t, sent, 1)
			m := sent[0]
			assert.Equal(t, tt.wantPrev, m.PrevLogIndex)
			assert.Equal(t, n.log.term(tt.wantPrev), m.PrevLogTerm)
			assert.Equal(t, n.log.from(tt.wantPrev), m.Entries)
		})
	}
}

func TestLeaderIgnoresStaleRejects(t *testing.T) {
	n, env := newLeader(t, 3, hardState{term: 1}, entries(1, 1, 1), DefaultConfig())
	// The probe went out with prev = 3; a reject of another index is old.
	n.Receive(2, AppendEntriesReply{Term: n.term, Index: 2, LastIndex: 0})
	assert.Empty(t, env.takeSent())

	n.Receive(2, AppendEntriesReply{Term: n.term, Success: true, Index: 4})
	assert.Equal(t, uint64(4), n.progress[1].match)
	n.Receive(2, AppendEntriesReply{Term: n.term, Index: 3, LastIndex: 0})
	assert.Empty(t, env.takeSent(), "a reject below match is old")
	assert.Equal(t, uint64(5), n.progress[1].next)
}

func TestLeaderPipelinesAndRetransmitsOnHeartbeat(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxEntriesPerAppend = 2
	n, env := newLeader(t, 3, hardState{term: 1}, nil, cfg)
	n.Receive(2, AppendEntriesReply{Term: 2, Success: true, Index: 1}) // server 2 replicating
	env.takeSent()

	for seq := uint64(1); seq <= 3; seq++ {
		n.Receive(7, kv.Request{Cmd: put(7, seq, "k", "v")})
	}
	// Server 2 gets each entry as appended, without waiting for replies;
	// server 3, still probing, gets nothing until a reply or heartbeat.
	sent := env.takeSent()
	require.Len(t, sent, 3)
	for k, s := range sent {
		assert.Equal(t, nodes.ID(2), s.to)
		m := s.msg.(AppendEntries)
		assert.Equal(t, uint64(k+1), m.PrevLogIndex)
		assert.Len(t, m.Entries, 1)
	}

	// All three were lost; the heartbeat resends from match+1, capped.
	env.fire(n, timerHeartbeat)
	sent = env.takeSent()
	require.Len(t, sent, 2)
	assert.Equal(t, nodes.ID(2), sent[0].to)
	m := sent[0].msg.(AppendEntries)
	assert.Equal(t, uint64(1), m.PrevLogIndex)
	assert.Equal(t, n.log.slice(2, 4), m.Entries)
	assert.Equal(t, nodes.ID(3), sent[1].to)
	assert.Equal(t, uint64(0), sent[1].msg.(AppendEntries).PrevLogIndex, "the probe is resent")
	_, ok := env.timer(timerHeartbeat)
	assert.True(t, ok, "heartbeat re-armed")

	// The ack of the first batch makes the leader send the rest.
	n.Receive(2, AppendEntriesReply{Term: 2, Success: true, Index: 3})
	sent = env.takeSent()
	assert.Equal(t, []kv.Reply{{Client: 7, Seq: 1, Leader: 1}, {Client: 7, Seq: 2, Leader: 1}}, msgsOf[kv.Reply](sent))
	appends := msgsOf[AppendEntries](sent)
	require.Len(t, appends, 1)
	m = appends[0]
	assert.Equal(t, uint64(3), m.PrevLogIndex)
	assert.Equal(t, n.log.slice(4, 5), m.Entries)
	assert.Equal(t, uint64(3), n.commit)
	assert.Equal(t, uint64(3), m.LeaderCommit)
}

func TestSentEntriesAreNeverOverwritten(t *testing.T) {
	n, env := newLeader(t, 3, hardState{}, nil, DefaultConfig())
	n.Receive(2, AppendEntriesReply{Term: 1, Success: true, Index: 1})
	env.takeSent()
	n.Receive(7, kv.Request{Cmd: put(7, 1, "k", "v")})
	sent := msgsOf[AppendEntries](env.takeSent())
	require.Len(t, sent, 1)
	m := sent[0]
	want := slices.Clone(m.Entries)

	// Deposed, the node's entry 2 is overwritten by the new leader's.
	n.Receive(3, AppendEntries{Term: 2, PrevLogIndex: 1, PrevLogTerm: 1, Entries: entriesFrom(2, 2, 2)})
	require.Equal(t, entriesFrom(2, 2, 2), n.log.from(1))

	assert.Equal(t, want, m.Entries, "a sent message's entries changed")
	assert.Equal(t, kv.Noop, n.log.entry(1).Cmd)
}
