package checker

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/consim/consim/nodes"
	"github.com/consim/consim/nodes/kv"
	"github.com/consim/consim/nodes/raftfacts"
)

func applied(n nodes.ID, index uint64, value string) step {
	cmd := kv.Command{Client: 9, Seq: index, Op: kv.OpPut, Key: "k", Value: value}
	return step{node: n, fact: kv.AppliedFact{Index: index, Cmd: cmd}}
}

func TestApplied(t *testing.T) {
	tests := []struct {
		name     string
		steps    []step
		want     []string
		wantStep int
	}{
		{
			name: "replicas agree, one lags",
			steps: []step{
				applied(1, 1, "a"), applied(2, 1, "a"), applied(1, 2, "b"), applied(1, 3, "c"), applied(2, 2, "b"),
			},
		},
		{
			name: "replay from the start after a crash; gaps allowed",
			steps: []step{
				applied(1, 1, "a"), applied(1, 2, "b"), crash(1), applied(1, 1, "a"), applied(1, 2, "b"), applied(2, 2, "b"),
			},
		},
		{
			name:     "different commands at one index",
			steps:    []step{applied(1, 1, "a"), applied(2, 1, "a"), applied(3, 1, "z")},
			want:     []string{InvariantAppliedAgreement},
			wantStep: 2,
		},
		{
			name:     "same value, different client identity",
			steps:    []step{applied(1, 1, "a"), {node: 2, fact: kv.AppliedFact{Index: 1, Cmd: kv.Command{Client: 8, Seq: 1, Op: kv.OpPut, Key: "k", Value: "a"}}}},
			want:     []string{InvariantAppliedAgreement},
			wantStep: 1,
		},
		{
			name:     "index applied twice without a restart",
			steps:    []step{applied(1, 1, "a"), applied(1, 2, "b"), applied(1, 2, "b")},
			want:     []string{InvariantAppliedOrder},
			wantStep: 2,
		},
		{
			name:     "index zero",
			steps:    []step{applied(1, 0, "a")},
			want:     []string{InvariantAppliedOrder},
			wantStep: 0,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, at, all := play(NewApplied(), tt.steps)
			require.Equal(t, tt.want, got, "violations: %v", all)
			if len(tt.want) > 0 {
				assert.Equal(t, tt.wantStep, at[0])
				assert.Equal(t, ClassSafety, all[0].Class)
				assert.NotEmpty(t, all[0].Nodes)
			}
		})
	}
}

func TestSetFansOut(t *testing.T) {
	set := NewSet(NewRaft([]nodes.ID{1, 2}), NewApplied())
	got, _, _ := play(set, []step{
		leader(1, 1), applied(1, 1, "a"), crash(1), applied(1, 1, "a"),
		leader(2, 1), applied(2, 1, "b"),
	})
	assert.Equal(t, []string{InvariantElectionSafety, InvariantAppliedAgreement}, got)
}

func TestViolationString(t *testing.T) {
	v := Violation{
		Invariant: InvariantElectionSafety,
		Class:     ClassSafety,
		At:        1500 * 1e6,
		Nodes:     []nodes.ID{1, 3},
		Seed:      42,
		Detail:    "two leaders",
	}
	s := v.String()
	for _, want := range []string{"safety", "election-safety", "1.5s", "n1,n3", "seed 42", "two leaders"} {
		assert.Contains(t, s, want)
	}
	assert.Contains(t, Violation{Class: ClassLiveness, Invariant: InvariantLiveness}.String(), "nodes none")
}

func snapshotted(n nodes.ID, index, digest uint64) step {
	return step{node: n, fact: raftfacts.SnapshotFact{Index: index, Term: 1, Digest: digest}}
}

func TestAppliedSnapshots(t *testing.T) {
	tests := []struct {
		name     string
		steps    []step
		want     []string
		wantStep int
	}{
		{
			name: "compaction, install on a lagging replica, restart from the snapshot",
			steps: []step{
				applied(1, 1, "a"), applied(1, 2, "b"), applied(1, 3, "c"), snapshotted(1, 3, 0xd),
				applied(1, 4, "d"), applied(2, 1, "a"), snapshotted(2, 3, 0xd), applied(2, 4, "d"),
				crash(1), snapshotted(1, 3, 0xd), applied(1, 4, "d"),
				{node: 3, fact: &raftfacts.SnapshotFact{Index: 3, Term: 1, Digest: 0xd}}, applied(3, 4, "d"),
			},
		},
		{
			name:     "two states at one index",
			steps:    []step{applied(1, 1, "a"), snapshotted(1, 1, 0xd), snapshotted(2, 1, 0xe)},
			want:     []string{InvariantSnapshotAgreement},
			wantStep: 2,
		},
		{
			name:     "two states at one index, by pointer",
			steps:    []step{snapshotted(1, 1, 0xd), {node: 2, fact: &raftfacts.SnapshotFact{Index: 1, Digest: 0xe}}},
			want:     []string{InvariantSnapshotAgreement},
			wantStep: 1,
		},
		{
			name:     "an index the snapshot covers applied again",
			steps:    []step{snapshotted(2, 3, 0xd), applied(2, 3, "c")},
			want:     []string{InvariantAppliedOrder},
			wantStep: 1,
		},
		{
			name:     "a snapshot behind what was applied",
			steps:    []step{applied(1, 1, "a"), applied(1, 2, "b"), applied(1, 3, "c"), snapshotted(1, 2, 0xd)},
			want:     []string{InvariantAppliedOrder},
			wantStep: 3,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, at, all := play(NewApplied(), tt.steps)
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
