package checker

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/consim/consim/nodes"
	"github.com/consim/consim/nodes/client"
)

// overlapping is a linearizable history of n rounds on one key in which
// clients 1..width all put at once and then all read the value of client
// width's put: the search tries the puts in many orders before it finds
// one that ends with it.
func overlapping(rounds, width int) []client.Op {
	var history []client.Op
	for r := range rounds {
		start := r * 100
		for c := 1; c <= width; c++ {
			history = append(history, put(nodes.ID(c), "x", fmt.Sprint(r, c), start, start+50))
		}
		last := fmt.Sprint(r, width)
		for c := 1; c <= width; c++ {
			history = append(history, get(nodes.ID(c), "x", start+60, start+90, last))
		}
	}
	return history
}

// TestSearchBudget: a search within its bound decides as an unbounded one
// does, both ways; one that outgrows it is a ClassBudget violation, never
// a pass and never a linearizability violation, and the same every time.
func TestSearchBudget(t *testing.T) {
	ok := overlapping(20, 6)
	bad := append(overlapping(20, 6), get(9, "x", 5000, 5010, "never written"))

	unbounded := CheckLinearizable(ok, ms(10_000), 0)
	require.Nil(t, unbounded.Violation())
	assert.Nil(t, CheckLinearizableWithin(ok, ms(10_000), 0, 64<<20).Violation(), "within the bound: a pass")

	v := CheckLinearizableWithin(bad, ms(10_000), 0, 64<<20).Violation()
	require.NotNil(t, v)
	assert.Equal(t, ClassLinearizability, v.Class, "within the bound: a violation")

	for range 3 {
		v := CheckLinearizableWithin(ok, ms(10_000), 0, 4<<10).Violation()
		require.NotNil(t, v, "an outgrown search is never a pass")
		assert.Equal(t, ClassBudget, v.Class)
		assert.Equal(t, InvariantMemoryBudget, v.Invariant)
		assert.Contains(t, v.Detail, "Porcupine's search outgrew what the memory budget left it")
	}
}
