package checker

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/consim/consim/nodes"
)

func role(ms int, node nodes.ID, r nodes.Role, epoch uint64) StabilityEvent {
	return StabilityEvent{At: time.Duration(ms) * time.Millisecond, Node: node, Role: r, Epoch: epoch}
}

// applies is node's first applied command since its last role change.
func applies(ms int, node nodes.ID) StabilityEvent {
	return StabilityEvent{At: time.Duration(ms) * time.Millisecond, Node: node, Applied: true}
}

func TestCheckStability(t *testing.T) {
	const (
		follower  = nodes.RoleFollower
		candidate = nodes.RoleCandidate
		leader    = nodes.RoleLeader
	)
	tests := []struct {
		name   string
		events []StabilityEvent
		// wantAt is the violation's time in milliseconds; 0 = none.
		wantAt    int
		wantNodes []nodes.ID
		wantText  string
	}{
		{
			name:   "one election",
			events: []StabilityEvent{role(0, 1, follower, 0), role(160, 2, candidate, 1), role(165, 2, leader, 1), applies(170, 2), applies(171, 1)},
		},
		{
			name: "a split vote first, then one leader; stragglers of the first election",
			events: []StabilityEvent{
				role(150, 1, candidate, 1), role(151, 3, candidate, 1), // split
				role(320, 3, candidate, 2), role(325, 3, leader, 2),
				role(326, 1, follower, 2), // the other candidate steps down
				applies(330, 3),
				role(331, 4, candidate, 2), // a pre-candidate at the leader's epoch: raises nothing
				role(333, 4, follower, 2),
			},
		},
		{
			name: "dueling proposers before any leader applied anything belong to the first election",
			events: []StabilityEvent{
				role(156, 5, candidate, 1), role(159, 4, candidate, 2), role(160, 5, leader, 1),
				role(163, 5, candidate, 3), role(163, 4, leader, 2), role(167, 4, candidate, 4), role(169, 5, leader, 3),
				applies(170, 1), // a follower applying does not establish anyone
				applies(172, 5),
				role(173, 4, follower, 3),
			},
		},
		{
			name:     "no leader at all",
			events:   []StabilityEvent{role(150, 1, candidate, 1), role(400, 1, candidate, 2)},
			wantAt:   6000,
			wantText: "no server became leader",
		},
		{
			name: "followers time out under an idle leader",
			events: []StabilityEvent{
				role(160, 2, candidate, 1), role(165, 2, leader, 1), applies(168, 2),
				role(900, 4, candidate, 2), role(901, 2, follower, 2), role(905, 4, leader, 2),
			},
			wantAt:    900,
			wantNodes: []nodes.ID{2, 4},
			wantText:  "n2 led in epoch 1 from 165ms, then n4 reported candidate in epoch 2 at 900ms (a new epoch: an election was started); 3 such report(s)",
		},
		{
			name: "a second leader in the same epoch after the first applied",
			events: []StabilityEvent{
				role(160, 2, candidate, 1), role(161, 3, candidate, 1), role(165, 2, leader, 1), applies(167, 2),
				role(170, 2, follower, 1), role(171, 3, leader, 1),
			},
			wantAt:    171,
			wantNodes: []nodes.ID{2, 3},
			wantText:  "a second leader election",
		},
		{
			name:      "no leader ever applies: judged from the first leader",
			events:    []StabilityEvent{role(160, 2, candidate, 1), role(165, 2, leader, 1), role(500, 3, candidate, 2)},
			wantAt:    500,
			wantNodes: []nodes.ID{2, 3},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vs := CheckStability(tt.events, 6*time.Second)
			if tt.wantAt == 0 {
				assert.Empty(t, vs)
				return
			}
			require.Len(t, vs, 1)
			v := vs[0]
			assert.Equal(t, InvariantStability, v.Invariant)
			assert.Equal(t, ClassEffect, v.Class)
			assert.Equal(t, time.Duration(tt.wantAt)*time.Millisecond, v.At)
			assert.Equal(t, tt.wantNodes, v.Nodes)
			assert.Contains(t, v.Detail, tt.wantText)
		})
	}
}
