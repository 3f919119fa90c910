package checker

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/consim/consim/nodes"
	"github.com/consim/consim/nodes/kv"
)

// Convergence invariants, judged once at the end of a run whose faults
// healed (CheckConvergence).
const (
	// InvariantConvergence: every live replica applies what the cluster
	// committed. Raft §5.3 ("once an entry is committed, followers apply
	// it") and Paxos Made Simple §2.3 and §3 (every learner learns the
	// chosen values): a replica left behind for good is a broken replica
	// even when the clients are served.
	InvariantConvergence = "convergence"
	// InvariantStateAgreement: a replica's state machine at index i is
	// what applying the agreed commands 1..i gives, so replicas at the
	// same index hold the same state (State Machine Safety, Raft §5.4.3,
	// carried from the commands to the state they produce).
	InvariantStateAgreement = "state-agreement"
)

// ReplicaEnd is one live replica's state machine at the end of a run, as
// the node reported it (nodes.Replica).
type ReplicaEnd struct {
	_ struct{}
	// Node is the server.
	Node nodes.ID
	// Applied is the index of the last command applied to its state
	// machine.
	Applied uint64
	// Digest is the state machine's digest (kv.StateMachine.Digest) at
	// Applied.
	Digest uint64
}

// Convergence is what CheckConvergence judges.
type Convergence struct {
	_ struct{}
	// Replicas are the replicas that are up at the end of the run, in any
	// order. A server that is down (crashed for good, or halted on a
	// corrupt disk: fail-stop) owes nothing and is left out.
	Replicas []ReplicaEnd
	// Target is the index every live replica must have applied by End:
	// the highest index any replica had applied by TargetAt. TargetAt is
	// earlier than End by the time a replica is given to catch up (the
	// runner gives it a liveness window), so that an entry committed just
	// before the end, whose commit index reaches the followers only with
	// the next heartbeat, is not counted against them.
	Target   uint64
	TargetAt time.Duration
	// Commands[i] is the command applied at index i+1, as every replica
	// that applied it agreed (applied-agreement, checked online): the
	// longest prefix of indexes that some replica applied. The state a
	// replica must hold at index n is that of applying Commands[:n] to an
	// empty kv.StateMachine.
	Commands []kv.Command
	// End is the simulated time the run ended.
	End time.Duration
}

// CheckConvergence judges the end of a run whose faults healed (the
// runner calls it only then): every replica in c.Replicas must have
// applied at least c.Target (else a liveness-class convergence violation
// naming the lagging replicas and their indexes), and each replica's state
// digest must equal the digest of applying the agreed commands up to its
// own index (else a safety-class state-agreement violation). A replica
// beyond the agreed prefix, which only happens if some index was never
// reported applied, is compared with the other replicas at its index
// instead.
func CheckConvergence(c Convergence) []Violation {
	var vs []Violation
	if v := checkStates(c); v != nil {
		vs = append(vs, *v)
	}
	if v := checkLag(c); v != nil {
		vs = append(vs, *v)
	}
	return vs
}

func checkLag(c Convergence) *Violation {
	var lagging []ReplicaEnd
	for _, r := range c.Replicas {
		if r.Applied < c.Target {
			lagging = append(lagging, r)
		}
	}
	if len(lagging) == 0 {
		return nil
	}
	slices.SortFunc(lagging, func(a, b ReplicaEnd) int { return cmp.Compare(a.Node, b.Node) })
	ids := make([]nodes.ID, len(lagging))
	parts := make([]string, len(lagging))
	for i, r := range lagging {
		ids[i] = r.Node
		parts[i] = fmt.Sprintf("%v at index %d", r.Node, r.Applied)
	}
	return &Violation{
		Invariant: InvariantConvergence,
		Class:     ClassLiveness,
		At:        c.End,
		Nodes:     involved(ids...),
		Detail: fmt.Sprintf("%d live replica(s) had not applied index %d, the highest index a replica had applied by %v, when the run ended at %v: %s",
			len(lagging), c.Target, c.TargetAt, c.End, strings.Join(parts, ", ")),
	}
}

// checkStates compares every replica's digest with the agreed state at its
// index, replaying the agreed commands once in index order.
func checkStates(c Convergence) *Violation {
	replicas := slices.Clone(c.Replicas)
	slices.SortStableFunc(replicas, func(a, b ReplicaEnd) int {
		if a.Applied != b.Applied {
			return cmp.Compare(a.Applied, b.Applied)
		}
		return cmp.Compare(a.Node, b.Node)
	})
	var bad []nodes.ID
	var first string
	note := func(ids []nodes.ID, detail string) {
		if first == "" {
			first = detail
		}
		bad = append(bad, ids...)
	}
	sm := kv.NewStateMachine()
	var at uint64 // sm holds the agreed state at index `at`
	known := uint64(len(c.Commands))
	for i, r := range replicas {
		if r.Applied > known {
			// Beyond the agreed prefix: compare with the previous replica
			// at the same index, if any.
			if i == 0 {
				continue
			}
			if prev := replicas[i-1]; prev.Applied == r.Applied && prev.Digest != r.Digest {
				note([]nodes.ID{prev.Node, r.Node}, fmt.Sprintf("%v and %v both applied up to index %d but hold different states (digests %016x and %016x)",
					prev.Node, r.Node, r.Applied, prev.Digest, r.Digest))
			}
			continue
		}
		for at < r.Applied {
			sm.Apply(c.Commands[at])
			at++
		}
		if want := sm.Digest(); r.Digest != want {
			note([]nodes.ID{r.Node}, fmt.Sprintf("%v's state machine at index %d has digest %016x, but applying the agreed commands 1..%d gives %016x",
				r.Node, r.Applied, r.Digest, r.Applied, want))
		}
	}
	if len(bad) == 0 {
		return nil
	}
	ids := involved(bad...)
	return &Violation{
		Invariant: InvariantStateAgreement,
		Class:     ClassSafety,
		At:        c.End,
		Nodes:     ids,
		Detail:    fmt.Sprintf("%d replica(s) hold a state that differs from the agreed one at their index; first: %s", len(ids), first),
	}
}

// Agreed returns the commands applied at indexes 1, 2, ... up to the first
// index no replica has reported applied: element i is the first command
// reported applied at index i+1 (every other replica applied the same one,
// or Observe reported applied-agreement). The slice is a copy.
func (a *Applied) Agreed() []kv.Command {
	var out []kv.Command
	for index := 1; index < len(a.first) && a.first[index].set; index++ {
		out = append(out, a.first[index].cmd)
	}
	return out
}
