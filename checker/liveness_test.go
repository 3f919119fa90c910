package checker

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/consim/consim/nodes"
	"github.com/consim/consim/nodes/client"
)

func TestCheckLiveness(t *testing.T) {
	// Faults heal at 100ms; operations must complete within 50ms of
	// max(call, heal); the run ends at 200ms.
	const healedAt, window, runEnd = 100, 50, 200
	tests := []struct {
		name    string
		history []client.Op
		// want are the violations' At, in milliseconds; nil = none.
		want      []int
		wantNodes []nodes.ID
	}{
		{name: "empty history"},
		{
			name: "all complete in time",
			history: []client.Op{
				put(5, "x", "1", 0, 140),   // called during faults: due 150
				get(6, "x", 120, 170, "1"), // due 170, just in time
				put(5, "x", "2", 160, 180),
			},
		},
		{
			name: "pending operations due after the run end are not judged",
			history: []client.Op{
				put(5, "x", "1", 0, 110),
				unknown(put(6, "x", "2", 160, 0)), // due 210
			},
		},
		{
			name: "operation never completes",
			history: []client.Op{
				put(5, "x", "1", 0, 110),
				unknown(put(6, "x", "2", 120, 0)), // due 170
				unknown(get(7, "x", 130, 0, "")),  // due 180
			},
			want:      []int{170},
			wantNodes: []nodes.ID{6, 7},
		},
		{
			name: "operation completes too late",
			history: []client.Op{
				put(5, "x", "1", 10, 190), // due 150
			},
			want:      []int{150},
			wantNodes: []nodes.ID{5},
		},
		{
			name: "nothing completes after the heal",
			history: []client.Op{
				put(5, "x", "1", 0, 90),
				unknown(put(6, "x", "2", 170, 0)), // due 220: not judged by deadline
			},
			want:      []int{runEnd},
			wantNodes: []nodes.ID{6},
		},
		{
			name: "deadline missed and nothing completes",
			history: []client.Op{
				unknown(put(6, "x", "2", 10, 0)), // due 150
			},
			want:      []int{150, runEnd},
			wantNodes: []nodes.ID{6},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vs := CheckLiveness(tt.history, ms(healedAt), ms(window), ms(runEnd))
			require.Len(t, vs, len(tt.want), "violations: %v", vs)
			for i, v := range vs {
				assert.Equal(t, ms(tt.want[i]), v.At)
				assert.Equal(t, ClassLiveness, v.Class)
				assert.Equal(t, InvariantLiveness, v.Invariant)
				assert.Equal(t, tt.wantNodes, v.Nodes)
			}
		})
	}
}

func TestCheckLivenessShortRun(t *testing.T) {
	// Healed too late for the window: nothing is judged.
	history := []client.Op{unknown(put(5, "x", "1", 0, 0))}
	assert.Empty(t, CheckLiveness(history, ms(180), ms(50), ms(200)))
}

func TestCheckLivenessNamesFirstLateOperation(t *testing.T) {
	history := []client.Op{
		unknown(put(7, "x", "2", 130, 0)),
		unknown(put(6, "y", "1", 120, 0)),
	}
	vs := CheckLiveness(history, ms(100), ms(50), ms(200))
	require.NotEmpty(t, vs)
	assert.Contains(t, vs[0].Detail, "2 operation(s)")
	assert.Contains(t, vs[0].Detail, "client n6")
	assert.Contains(t, vs[0].Detail, "never completed")
}
