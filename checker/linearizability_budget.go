package checker

// A memory bound for Porcupine's search. Porcupine checks each key's
// operations as one depth-first search and caches every state it reaches:
// a bitset of the partition's n operations (n/8 bytes) and the model's
// state (the key's value), per successful step. On a history whose
// operations overlap a lot the search backtracks and the cache grows far
// past the n²/8 bytes of a search that never backtracks, until the time
// limit: gigabytes within seconds. The bound counts those bytes per key as
// the search makes its steps, and once a key has used its share (maxBytes
// times its share of the operations) makes every later step fail, which
// unwinds every search at once; the check is then reported as outgrown: a
// ClassBudget violation, never a pass and never a linearizability
// violation. A key's search is deterministic, so whether it outgrows its
// share is too. (When another key's history is truly not linearizable,
// which one Porcupine stops at first, and so the verdict, can vary, as
// with its time limit.)

import (
	"fmt"
	"sync/atomic"

	"github.com/anishathalye/porcupine"
)

// cacheEntryBytes is what one cached state costs besides its bitset and
// value: the entry, the slice growth and the map's share.
const cacheEntryBytes = 96

// searchBudget bounds one check's search; nil when unbounded.
type searchBudget struct {
	// keys holds a counter per key; the map is built before the search
	// and only read during it, and each counter is touched only by the
	// goroutine that searches its key.
	keys map[string]*keySearch
	// stop is set once a key's search used its share.
	stop atomic.Bool
}

// keySearch counts the bytes one key's search has cached.
type keySearch struct {
	// bitsetBytes is the size of the key's bitset of operations.
	bitsetBytes uint64
	used, limit uint64
}

// newSearchBudget shares maxBytes among the keys of operations in
// proportion to their operations; nil when maxBytes is 0.
func newSearchBudget(operations []porcupine.Operation, maxBytes uint64) *searchBudget {
	if maxBytes == 0 || len(operations) == 0 {
		return nil
	}
	counts := map[string]uint64{}
	for _, op := range operations {
		counts[asInput(op.Input).Key]++
	}
	b := &searchBudget{keys: make(map[string]*keySearch, len(counts))}
	total := uint64(len(operations))
	for key, n := range counts {
		b.keys[key] = &keySearch{bitsetBytes: (n + 63) / 64 * 8, limit: maxBytes / total * n}
	}
	return b
}

// bound makes model's Step count what a successful step caches, and fail
// once the search is stopped.
func (b *searchBudget) bound(model *porcupine.Model) {
	if b == nil {
		return
	}
	step := model.Step
	model.Step = func(state, input, output any) (bool, any) {
		if b.stop.Load() {
			return false, state
		}
		legal, next := step(state, input, output)
		if !legal {
			return legal, next
		}
		k := b.keys[asInput(input).Key]
		k.used += k.bitsetBytes + cacheEntryBytes + uint64(len(next.(string)))
		if k.used > k.limit {
			b.stop.Store(true)
			return false, state
		}
		return legal, next
	}
}

// outgrown reports whether the search was stopped at its bound.
func (b *searchBudget) outgrown() bool { return b != nil && b.stop.Load() }

// budgetViolation reports a check whose search outgrew its bound.
func (r LinearizabilityResult) budgetViolation() *Violation {
	return &Violation{
		Invariant: InvariantMemoryBudget,
		Class:     ClassBudget,
		At:        r.runEnd,
		Detail: fmt.Sprintf("Porcupine's search outgrew what the memory budget left it (%d MiB; %d operations, %d of unknown outcome: they overlap too much to search): the history was not judged. Raise the budget with --max-memory, or lighten the load on each key",
			r.searchBudget>>20, r.Ops, r.Unknown),
	}
}
