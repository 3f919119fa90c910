package checker

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/consim/consim/nodes"
	"github.com/consim/consim/nodes/kv"
	"github.com/consim/consim/nodes/raft"
)

// A step is one event of a hand-written story told to an Online checker.
type step struct {
	node  nodes.ID
	fact  nodes.Fact
	crash bool
}

func leader(n nodes.ID, term uint64) step {
	return step{node: n, fact: nodes.RoleChanged{Role: nodes.RoleLeader, Epoch: term}}
}

func follower(n nodes.ID, term uint64) step {
	return step{node: n, fact: nodes.RoleChanged{Role: nodes.RoleFollower, Epoch: term}}
}

func hard(n nodes.ID, term uint64, vote nodes.ID, commit uint64) step {
	return step{node: n, fact: raft.HardStateFact{Term: term, Vote: vote, Commit: commit}}
}

func logAfter(n nodes.ID, after uint64, entries ...raft.Entry) step {
	return step{node: n, fact: raft.LogFact{After: after, Entries: entries}}
}

func crash(n nodes.ID) step { return step{node: n, crash: true} }

// entry is a log entry of the given term putting value to key "k".
func entry(term uint64, value string) raft.Entry {
	return raft.Entry{Term: term, Cmd: kv.Command{Client: 9, Seq: 1, Op: kv.OpPut, Key: "k", Value: value}}
}

// play runs the steps through c, one millisecond apart, and returns the
// violations with the step number (from 0) at which each was reported.
func play(c Online, steps []step) (invariants []string, at []int, all []Violation) {
	for i, s := range steps {
		now := time.Duration(i) * time.Millisecond
		if s.crash {
			c.Crashed(now, s.node)
			continue
		}
		for _, v := range c.Observe(now, s.node, s.fact) {
			invariants = append(invariants, v.Invariant)
			at = append(at, i)
			all = append(all, v)
		}
	}
	return invariants, at, all
}

func TestRaft(t *testing.T) {
	a, b, c := entry(1, "a"), entry(1, "b"), entry(2, "c")
	tests := []struct {
		name  string
		steps []step
		want  []string // invariants, in order; nil = all held
		// wantStep is the step at which the first violation is reported.
		wantStep int
	}{
		{
			name: "replicate, commit, new leader holds it",
			steps: []step{
				hard(1, 1, 1, 0), hard(2, 1, 1, 0), leader(1, 1),
				logAfter(1, 0, a), logAfter(2, 0, a),
				hard(1, 1, 1, 1), hard(2, 1, 1, 1),
				follower(1, 2), hard(2, 2, 2, 1), leader(2, 2), logAfter(2, 1, c),
				logAfter(1, 1, c), hard(2, 2, 2, 2), hard(1, 2, 2, 2),
			},
		},
		{
			name: "follower overwrites an uncommitted entry",
			steps: []step{
				leader(1, 1), logAfter(1, 0, a), logAfter(2, 0, a),
				leader(3, 2), logAfter(3, 0, c), logAfter(2, 0, c), hard(2, 2, 3, 1), hard(3, 2, 3, 1),
			},
		},
		{
			name: "restart recovers the same state; a leader's recovery is not a truncation",
			steps: []step{
				hard(1, 1, 1, 0), leader(1, 1), logAfter(1, 0, a, b), logAfter(2, 0, a, b), hard(1, 1, 1, 2),
				crash(1), hard(1, 1, 1, 2), logAfter(1, 0, a, b),
			},
		},
		{
			name: "same leader announced twice; same vote reported twice",
			steps: []step{
				hard(2, 3, 1, 0), hard(2, 3, 1, 0), leader(1, 3), leader(1, 3), hard(2, 4, 0, 0), hard(2, 4, 3, 0),
			},
		},
		{
			name: "commit index ahead of the log until the entries arrive",
			steps: []step{
				logAfter(1, 0, a), logAfter(3, 0, a), hard(1, 1, 1, 1),
				hard(2, 1, 1, 1), logAfter(2, 0, a),
			},
		},
		{
			name:     "two leaders in one term",
			steps:    []step{leader(1, 1), leader(2, 2), leader(3, 1)},
			want:     []string{InvariantElectionSafety},
			wantStep: 2,
		},
		{
			name:     "leader truncates its own log",
			steps:    []step{hard(1, 1, 1, 0), leader(1, 1), logAfter(1, 0, a, b), logAfter(1, 1, c)},
			want:     []string{InvariantLeaderAppendOnly},
			wantStep: 3,
		},
		{
			name:     "same index and term, different commands",
			steps:    []step{logAfter(1, 0, a), logAfter(2, 0, b)},
			want:     []string{InvariantLogMatching},
			wantStep: 1,
		},
		{
			name:     "same index and term, different prefixes",
			steps:    []step{logAfter(1, 0, a, c), logAfter(2, 0, entry(2, "x"), c)},
			want:     []string{InvariantLogMatching},
			wantStep: 1,
		},
		{
			name: "new leader misses a committed entry",
			steps: []step{
				leader(1, 1), logAfter(1, 0, a), logAfter(2, 0, a), hard(1, 1, 1, 1),
				hard(3, 2, 3, 0), leader(3, 2),
			},
			want:     []string{InvariantLeaderCompleteness},
			wantStep: 5,
		},
		{
			// Found by consim (slow links into n3): n3 won term 2 with votes
			// cast before the leader of term 3 committed a; its leadership
			// came late, but a leader of term 2 need not hold an entry
			// committed in term 3.
			name: "late leader of an older term lacks an entry committed in a newer term",
			steps: []step{
				hard(3, 2, 3, 0), hard(1, 2, 3, 0), hard(2, 2, 3, 0),
				hard(1, 3, 1, 0), leader(1, 3), logAfter(1, 0, a), logAfter(2, 0, a), hard(1, 3, 1, 1),
				leader(3, 2),
			},
		},
		{
			name: "an entry committed in term 3 is missing from the leader of term 4",
			steps: []step{
				hard(1, 3, 1, 0), leader(1, 3), logAfter(1, 0, a), logAfter(2, 0, a), hard(1, 3, 1, 1),
				hard(3, 4, 3, 0), leader(3, 4),
			},
			want:     []string{InvariantLeaderCompleteness},
			wantStep: 6,
		},
		{
			name: "a later report lowers the term an entry is known committed in",
			steps: []step{
				logAfter(1, 0, a), logAfter(2, 0, a), hard(1, 5, 0, 1), hard(2, 3, 0, 1),
				hard(3, 4, 3, 0), leader(3, 4),
			},
			want:     []string{InvariantLeaderCompleteness},
			wantStep: 5,
		},
		{
			name: "new leader has another entry at a committed index",
			steps: []step{
				logAfter(1, 0, a, b), logAfter(2, 0, a, b), hard(1, 1, 1, 2), logAfter(3, 0, a, c), leader(3, 3),
			},
			want:     []string{InvariantLeaderCompleteness},
			wantStep: 4,
		},
		{
			name: "two entries committed at one index",
			steps: []step{
				logAfter(1, 0, a), logAfter(3, 0, a), hard(1, 1, 1, 1),
				logAfter(2, 0, c), hard(2, 2, 2, 1),
			},
			want:     []string{InvariantStateMachineSafety},
			wantStep: 4,
		},
		{
			name: "follower removes a committed entry",
			steps: []step{
				logAfter(1, 0, a, b), logAfter(2, 0, a, b), hard(2, 1, 1, 2), logAfter(2, 1),
			},
			want:     []string{InvariantStateMachineSafety},
			wantStep: 3,
		},
		{
			name: "an entry committed before a majority holds it",
			steps: []step{
				logAfter(1, 0, a, b), logAfter(2, 0, a), hard(1, 1, 1, 2),
			},
			want:     []string{InvariantCommitDurability},
			wantStep: 2,
		},
		{
			name:     "term goes back across a restart",
			steps:    []step{hard(1, 3, 0, 0), crash(1), hard(1, 2, 0, 0)},
			want:     []string{InvariantTermMonotonic},
			wantStep: 2,
		},
		{
			name:     "commit index goes back across a restart",
			steps:    []step{logAfter(1, 0, a, b), logAfter(2, 0, a, b), hard(1, 1, 0, 2), crash(1), hard(1, 1, 0, 1)},
			want:     []string{InvariantCommitMonotonic},
			wantStep: 4,
		},
		{
			name:     "second vote in a term after a restart",
			steps:    []step{hard(1, 3, 2, 0), crash(1), hard(1, 3, 3, 0)},
			want:     []string{InvariantOneVotePerTerm},
			wantStep: 2,
		},
		{
			name:     "vote forgotten, then a second vote in the same term",
			steps:    []step{hard(1, 3, 2, 0), hard(1, 3, 0, 0), hard(1, 3, 3, 0)},
			want:     []string{InvariantOneVotePerTerm},
			wantStep: 2,
		},
		{
			name:     "log fact with a gap",
			steps:    []step{logAfter(1, 0, a), logAfter(1, 3, b)},
			want:     []string{InvariantFactConsistency},
			wantStep: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewRaft([]nodes.ID{1, 2, 3})
			got, at, all := play(r, tt.steps)
			require.Equal(t, tt.want, got, "violations: %v", all)
			if len(tt.want) > 0 {
				assert.Equal(t, tt.wantStep, at[0])
				assert.Equal(t, ClassSafety, all[0].Class)
				assert.NotEmpty(t, all[0].Nodes)
				assert.NotEmpty(t, all[0].Detail)
			}
		})
	}
}

func TestRaftIgnoresOtherNodesAndFacts(t *testing.T) {
	r := NewRaft([]nodes.ID{1, 2, 3})
	got, _, _ := play(r, []step{
		leader(1, 1),
		leader(9, 1), // a client is no server
		{node: 2, fact: kv.AppliedFact{Index: 1, Cmd: kv.Noop}},
	})
	assert.Empty(t, got)
}

func TestRaftAcceptsPointerFacts(t *testing.T) {
	r := NewRaft([]nodes.ID{1, 2, 3})
	assert.Empty(t, r.Observe(0, 1, &raft.LogFact{Entries: []raft.Entry{entry(1, "a")}}))
	assert.Empty(t, r.Observe(0, 3, &raft.LogFact{Entries: []raft.Entry{entry(1, "a")}}))
	assert.Empty(t, r.Observe(1, 1, &raft.HardStateFact{Term: 1, Commit: 1}))
	assert.Empty(t, r.Observe(2, 1, &nodes.RoleChanged{Role: nodes.RoleLeader, Epoch: 1}))
	vs := r.Observe(3, 3, &nodes.RoleChanged{Role: nodes.RoleLeader, Epoch: 1})
	require.Len(t, vs, 1)
	assert.Equal(t, InvariantElectionSafety, vs[0].Invariant)
	vs = r.Observe(4, 2, &nodes.RoleChanged{Role: nodes.RoleLeader, Epoch: 2})
	require.Len(t, vs, 1)
	assert.Equal(t, InvariantLeaderCompleteness, vs[0].Invariant)
	assert.Contains(t, vs[0].Detail, "its log ends at index 0")
}

func TestRaftCopiesEntries(t *testing.T) {
	r := NewRaft([]nodes.ID{1, 2})
	entries := []raft.Entry{entry(1, "a")}
	assert.Empty(t, r.Observe(0, 1, raft.LogFact{Entries: entries}))
	entries[0] = entry(1, "reused memory")
	assert.Empty(t, r.Observe(1, 2, raft.LogFact{Entries: []raft.Entry{entry(1, "a")}}))
}

func TestRaftViolationNamesBothLeaders(t *testing.T) {
	r := NewRaft([]nodes.ID{1, 2, 3})
	require.Empty(t, r.Observe(time.Second, 3, nodes.RoleChanged{Role: nodes.RoleLeader, Epoch: 4}))
	vs := r.Observe(2*time.Second, 1, nodes.RoleChanged{Role: nodes.RoleLeader, Epoch: 4})
	require.Len(t, vs, 1)
	assert.Equal(t, []nodes.ID{1, 3}, vs[0].Nodes)
	assert.Equal(t, 2*time.Second, vs[0].At)
	assert.Contains(t, vs[0].Detail, "term 4")
}

func snap(n nodes.ID, index, term uint64) step {
	return step{node: n, fact: raft.SnapshotFact{Index: index, Term: term, Digest: 0xd}}
}

func TestRaftSnapshots(t *testing.T) {
	a, b, c, d := entry(1, "a"), entry(1, "b"), entry(2, "c"), entry(1, "d")
	// committedAB: servers 1 and 2 hold a, b; 1 is leader of term 1 and
	// has committed both.
	committedAB := []step{
		hard(1, 1, 1, 0), leader(1, 1), logAfter(1, 0, a, b), logAfter(2, 0, a, b), hard(1, 1, 1, 2),
	}
	tests := []struct {
		name     string
		steps    []step
		want     []string
		wantStep int // counted from the end of committedAB
	}{
		{
			name: "the leader compacts, appends and commits after its snapshot",
			steps: []step{
				snap(1, 2, 1), follower(1, 2), hard(1, 2, 0, 2), hard(2, 2, 2, 2), leader(2, 2),
				logAfter(2, 2, c), logAfter(1, 2, c), hard(2, 2, 2, 3), snap(2, 3, 2), snap(1, 3, 2),
				logAfter(1, 3, entry(2, "e")),
			},
		},
		{
			name: "a server with a conflicting log installs the snapshot, then leads holding every committed entry",
			steps: []step{
				snap(1, 2, 1), logAfter(3, 0, c), snap(3, 2, 1), logAfter(3, 2), hard(3, 1, 0, 2),
				follower(1, 3), hard(3, 3, 3, 2), leader(3, 3),
			},
		},
		{
			name: "install keeps the entries after a matching last included entry",
			steps: []step{
				logAfter(3, 0, a, b, d), snap(1, 2, 1), snap(3, 2, 1), logAfter(3, 3, entry(1, "f")),
			},
		},
		{
			name: "a restart recovers the snapshot and the entries after it",
			steps: []step{
				logAfter(1, 2, d), snap(1, 2, 1), crash(1), snap(1, 2, 1), logAfter(1, 2, d), hard(1, 1, 1, 2),
			},
		},
		{
			name:     "snapshot of an entry not yet committed",
			steps:    []step{logAfter(1, 2, d), logAfter(2, 2, d), snap(1, 3, 1)},
			want:     []string{InvariantSnapshotCommitted},
			wantStep: 2,
		},
		{
			name:     "snapshot whose last entry has another term than the committed one",
			steps:    []step{snap(2, 2, 2)},
			want:     []string{InvariantSnapshotCommitted},
			wantStep: 0,
		},
		{
			name:     "snapshot at index 0",
			steps:    []step{snap(2, 0, 0)},
			want:     []string{InvariantSnapshotCommitted},
			wantStep: 0,
		},
		{
			name:     "a log fact rewrites entries inside the snapshot",
			steps:    []step{snap(2, 2, 1), logAfter(2, 1, c)},
			want:     []string{InvariantSnapshotImmutable},
			wantStep: 1,
		},
		{
			name:     "a snapshot goes back",
			steps:    []step{snap(2, 2, 1), crash(2), snap(2, 1, 1)},
			want:     []string{InvariantSnapshotImmutable},
			wantStep: 2,
		},
		{
			name: "without the snapshot's entries a new leader would miss committed ones",
			steps: []step{
				snap(1, 2, 1), logAfter(3, 0, c), follower(1, 3), hard(3, 3, 3, 0), leader(3, 3),
			},
			want:     []string{InvariantLeaderCompleteness},
			wantStep: 4,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewRaft([]nodes.ID{1, 2, 3})
			got, at, all := play(r, append(slices.Clone(committedAB), tt.steps...))
			require.Equal(t, tt.want, got, "violations: %v", all)
			if len(tt.want) > 0 {
				assert.Equal(t, tt.wantStep, at[0]-len(committedAB))
				assert.Equal(t, ClassSafety, all[0].Class)
				assert.NotEmpty(t, all[0].Nodes)
				assert.NotEmpty(t, all[0].Detail)
			}
		})
	}
}

func TestRaftAcceptsPointerSnapshotFacts(t *testing.T) {
	r := NewRaft([]nodes.ID{1, 2, 3})
	got, _, all := play(r, []step{
		logAfter(1, 0, entry(1, "a")), logAfter(2, 0, entry(1, "a")), hard(1, 1, 1, 1),
		{node: 1, fact: &raft.SnapshotFact{Index: 1, Term: 1}}, {node: 3, fact: &raft.SnapshotFact{Index: 1, Term: 2}},
	})
	assert.Equal(t, []string{InvariantSnapshotCommitted}, got, "violations: %v", all)
}
