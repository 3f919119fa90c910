package checker

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/consim/consim/nodes"
	"github.com/consim/consim/nodes/kv"
)

// agreedCommands are puts of "v1".."vN" to key k by client 9.
func agreedCommands(n int) []kv.Command {
	cmds := make([]kv.Command, n)
	for i := range cmds {
		cmds[i] = kv.Command{Client: 9, Seq: uint64(i + 1), Op: kv.OpPut, Key: "k", Value: "v" + string(rune('0'+i+1))}
	}
	return cmds
}

// digestAt is the digest of applying cmds[:index].
func digestAt(cmds []kv.Command, index uint64) uint64 {
	sm := kv.NewStateMachine()
	for _, c := range cmds[:index] {
		sm.Apply(c)
	}
	return sm.Digest()
}

// replicaAt is node at index with the agreed state there.
func replicaAt(cmds []kv.Command, node nodes.ID, index uint64) ReplicaEnd {
	return ReplicaEnd{Node: node, Applied: index, Digest: digestAt(cmds, index)}
}

func TestCheckConvergence(t *testing.T) {
	cmds := agreedCommands(5)
	tests := []struct {
		name     string
		replicas []ReplicaEnd
		target   uint64
		commands []kv.Command
		// want are the invariants of the violations, in order; nil = none.
		want      []string
		wantNodes [][]nodes.ID
		wantText  []string
	}{
		{name: "no replicas"},
		{
			name:     "every replica at the last index",
			replicas: []ReplicaEnd{replicaAt(cmds, 1, 5), replicaAt(cmds, 2, 5), replicaAt(cmds, 3, 5)},
			target:   5,
			commands: cmds,
		},
		{
			name: "replicas at different indexes, all at or past the target, each with its index's state",
			replicas: []ReplicaEnd{
				replicaAt(cmds, 3, 4), replicaAt(cmds, 1, 5), replicaAt(cmds, 2, 3),
			},
			target:   3,
			commands: cmds,
		},
		{
			name:      "a follower that never applied",
			replicas:  []ReplicaEnd{replicaAt(cmds, 1, 5), replicaAt(cmds, 2, 0), replicaAt(cmds, 3, 5), replicaAt(cmds, 4, 2)},
			target:    4,
			commands:  cmds,
			want:      []string{InvariantConvergence},
			wantNodes: [][]nodes.ID{{2, 4}},
			wantText:  []string{"n2 at index 0, n4 at index 2", "had not applied index 4"},
		},
		{
			name: "a replica whose state differs at its index",
			replicas: []ReplicaEnd{
				replicaAt(cmds, 1, 5),
				{Node: 2, Applied: 5, Digest: digestAt(cmds, 4)}, // claims 5, holds 4's state
				replicaAt(cmds, 3, 5),
			},
			target:    5,
			commands:  cmds,
			want:      []string{InvariantStateAgreement},
			wantNodes: [][]nodes.ID{{2}},
			wantText:  []string{"n2's state machine at index 5"},
		},
		{
			name: "both: a lagging replica and a wrong state",
			replicas: []ReplicaEnd{
				replicaAt(cmds, 1, 5),
				{Node: 3, Applied: 2, Digest: 42},
			},
			target:    5,
			commands:  cmds,
			want:      []string{InvariantStateAgreement, InvariantConvergence},
			wantNodes: [][]nodes.ID{{3}, {3}},
		},
		{
			name: "beyond the agreed prefix, replicas at one index agree",
			replicas: []ReplicaEnd{
				{Node: 1, Applied: 7, Digest: 11}, {Node: 2, Applied: 7, Digest: 11}, replicaAt(cmds, 3, 5),
			},
			target:   5,
			commands: cmds,
		},
		{
			name: "beyond the agreed prefix, replicas at one index differ",
			replicas: []ReplicaEnd{
				{Node: 1, Applied: 7, Digest: 11}, {Node: 2, Applied: 7, Digest: 12}, replicaAt(cmds, 3, 5),
			},
			target:    5,
			commands:  cmds,
			want:      []string{InvariantStateAgreement},
			wantNodes: [][]nodes.ID{{1, 2}},
			wantText:  []string{"n1 and n2 both applied up to index 7"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vs := CheckConvergence(Convergence{
				Replicas: tt.replicas, Target: tt.target, TargetAt: 5 * time.Second,
				Commands: tt.commands, End: 6 * time.Second,
			})
			require.Len(t, vs, len(tt.want), "%v", vs)
			for i, v := range vs {
				assert.Equal(t, tt.want[i], v.Invariant)
				assert.Equal(t, 6*time.Second, v.At)
				assert.Equal(t, tt.wantNodes[i], v.Nodes)
				wantClass := ClassLiveness
				if v.Invariant == InvariantStateAgreement {
					wantClass = ClassSafety
				}
				assert.Equal(t, wantClass, v.Class)
			}
			for _, text := range tt.wantText {
				require.NotEmpty(t, vs)
				assert.Contains(t, vs[0].Detail+vs[len(vs)-1].Detail, text)
			}
		})
	}
}

func TestAppliedAgreedStopsAtTheFirstGap(t *testing.T) {
	a := NewApplied()
	observe := func(node nodes.ID, index uint64, value string) {
		cmd := kv.Command{Client: 9, Seq: index, Op: kv.OpPut, Key: "k", Value: value}
		require.Empty(t, a.Observe(0, node, kv.AppliedFact{Index: index, Cmd: cmd}))
	}
	assert.Empty(t, a.Agreed())
	observe(1, 1, "a")
	observe(1, 2, "b")
	observe(2, 1, "a")
	observe(2, 4, "d") // index 3 is not known yet
	got := a.Agreed()
	require.Len(t, got, 2)
	assert.Equal(t, "a", got[0].Value)
	assert.Equal(t, "b", got[1].Value)
	observe(1, 3, "c")
	assert.Len(t, a.Agreed(), 4)
}
