package checker

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/consim/consim/nodes"
)

// Invariant names. A Violation's Invariant is one of these.
const (
	// Raft invariants (Raft paper, Figure 3 and §5).
	InvariantElectionSafety         = "election-safety"         // §5.2: at most one leader per term
	InvariantLeaderAppendOnly       = "leader-append-only"      // §5.3: a leader never overwrites or deletes its entries
	InvariantLogMatching            = "log-matching"            // §5.3: same index and term => same log up to there
	InvariantLeaderCompleteness     = "leader-completeness"     // §5.4: a leader holds every committed entry
	InvariantStateMachineSafety     = "state-machine-safety"    // §5.4.3: one entry committed per index, never removed
	InvariantCommitDurability       = "commit-durability"       // §5.3: an entry is committed only once a majority holds it durably
	InvariantTermMonotonic          = "term-monotonic"          // Figure 2: currentTerm is persistent and only grows
	InvariantCommitMonotonic        = "commit-monotonic"        // the persisted commit index only grows
	InvariantOneVotePerTerm         = "one-vote-per-term"       // §5.2: at most one vote per term, across restarts
	InvariantFactConsistency        = "fact-consistency"        // a node reported a fact that cannot follow its earlier ones
	InvariantSnapshotCommitted      = "snapshot-committed"      // §7: a snapshot covers only committed entries
	InvariantSnapshotImmutable      = "snapshot-immutable"      // §7: entries a snapshot covers are never rewritten, nor is the snapshot undone
	InvariantSnapshotAgreement      = "snapshot-agreement"      // §7, §5.4.3: snapshots at one index hold the same state
	InvariantAppliedAgreement       = "applied-agreement"       // every replica applies the same command at an index
	InvariantAppliedOrder           = "applied-order"           // a replica applies indexes in increasing order
	InvariantLinearizability        = "linearizability"         // the client history is linearizable
	InvariantLinearizabilityTimeout = "linearizability-timeout" // Porcupine ran out of time
	InvariantLiveness               = "liveness"                // operations complete once faults heal
	InvariantNodePanic              = "node-panic"              // a node panicked (created by the runner)
	InvariantStuck                  = "stuck"                   // no server received anything for a long stretch (created by the runner)
	InvariantMemoryBudget           = "memory-budget"           // the run outgrew its memory budget and was stopped (created by the runner)
)

// Class tells kinds of failure apart; each has its own exit path and wording.
type Class string

const (
	// ClassSafety is a broken protocol invariant.
	ClassSafety Class = "safety"
	// ClassLinearizability is a client history that is not linearizable.
	ClassLinearizability Class = "linearizability"
	// ClassLiveness is an operation that did not complete in time after
	// the faults healed.
	ClassLiveness Class = "liveness"
	// ClassUnknown is a check that could not decide (Porcupine timed out).
	// It is never a pass.
	ClassUnknown Class = "unknown"
	// ClassCrash is a node that panicked; the runner creates these.
	ClassCrash Class = "crash"
	// ClassStuck is a run in which nothing at all happened for a long
	// simulated stretch; the runner creates these.
	ClassStuck Class = "stuck"
	// ClassEffect is a protocol or one of its features that did not do what
	// it claims, though no safety invariant broke and clients were served:
	// a leader change in a quiet fault-free cluster, a leadership transfer
	// that never hands over, a CheckQuorum leader that never steps down.
	ClassEffect Class = "effect"
	// ClassBudget is a run stopped when its estimated memory reached its
	// budget (scenarios.Options.MemoryBudget); the runner creates these. It
	// is not a pass (the run was not judged to its end) and not a
	// protocol failure either.
	ClassBudget Class = "budget"
)

// Violation is one broken invariant, with enough to reproduce and explain it.
type Violation struct {
	// Invariant is one of the Invariant* names.
	Invariant string `json:"invariant"`
	// Class is the kind of failure.
	Class Class `json:"class"`
	// At is the simulated time at which the violation became evident.
	At time.Duration `json:"at_ns"`
	// Nodes are the nodes involved, in increasing order, without repeats.
	Nodes []nodes.ID `json:"nodes"`
	// Seed is the run's seed; the runner fills it in.
	Seed uint64 `json:"seed"`
	// Detail explains what was seen, with the numbers.
	Detail string `json:"detail"`
}

func (v Violation) String() string {
	return fmt.Sprintf("%s violation: %s at %v, nodes %s, seed %d: %s",
		v.Class, v.Invariant, v.At, nodeList(v.Nodes), v.Seed, v.Detail)
}

func nodeList(ids []nodes.ID) string {
	if len(ids) == 0 {
		return "none"
	}
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = id.String()
	}
	return strings.Join(parts, ",")
}

// involved returns ids sorted, without repeats and without 0 (no node).
func involved(ids ...nodes.ID) []nodes.ID {
	out := make([]nodes.ID, 0, len(ids))
	for _, id := range ids {
		if id != 0 {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Online is a checker that judges facts as they happen.
type Online interface {
	// Observe reads one fact a node reported at simulated time at and
	// returns the violations it reveals (nil if none). The fact is valid
	// only during the call: a checker copies what it keeps.
	Observe(at time.Duration, node nodes.ID, f nodes.Fact) []Violation
	// Crashed tells the checker that node crashed at time at: whatever it
	// did not make durable is gone, and it will be rebuilt from its disk.
	Crashed(at time.Duration, node nodes.ID)
}

// Set fans facts out to several Online checkers, in order.
type Set []Online

// NewSet returns a Set of the given checkers.
func NewSet(checkers ...Online) Set { return Set(checkers) }

// Observe passes the fact to every checker, in order, and returns all the
// violations they report, in that order.
func (s Set) Observe(at time.Duration, node nodes.ID, f nodes.Fact) []Violation {
	var all []Violation
	for _, c := range s {
		all = append(all, c.Observe(at, node, f)...)
	}
	return all
}

// Crashed tells every checker, in order.
func (s Set) Crashed(at time.Duration, node nodes.ID) {
	for _, c := range s {
		c.Crashed(at, node)
	}
}
