package checker

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/consim/consim/nodes"
	"github.com/consim/consim/nodes/client"
)

// CheckLiveness checks that the cluster makes progress once the last fault
// has healed (at healedAt, with a majority up and connected from then on).
// Safety must not depend on timing, but availability does (Raft §5.6): a
// cluster cut apart owes no progress, so progress is demanded only after the
// heal, within window.
//
// Two checks, each giving at most one violation:
//
//   - deadline: an operation called at c must complete by
//     max(c, healedAt) + window. An operation whose deadline is after
//     runEnd is not judged; one that returned after its deadline, or never
//     learned its outcome, with a deadline at or before runEnd, misses it.
//     The violation is at the earliest missed deadline and names the first
//     such operation and the count.
//   - stall: when runEnd - healedAt >= window, some operation never
//     completed, and no operation at all completed in [healedAt, runEnd],
//     the cluster made no progress; the violation is at runEnd. This
//     catches a stall that the deadline check cannot judge because every
//     pending operation was called too late.
func CheckLiveness(history []client.Op, healedAt, window, runEnd time.Duration) []Violation {
	var vs []Violation
	if v := checkDeadlines(history, healedAt, window, runEnd); v != nil {
		vs = append(vs, *v)
	}
	if v := checkStall(history, healedAt, window, runEnd); v != nil {
		vs = append(vs, *v)
	}
	return vs
}

// lateOp is an operation that missed its deadline.
type lateOp struct {
	op       client.Op
	deadline time.Duration
}

func checkDeadlines(history []client.Op, healedAt, window, runEnd time.Duration) *Violation {
	var late []lateOp
	for _, op := range history {
		deadline := max(op.Call, healedAt) + window
		if deadline > runEnd {
			continue
		}
		if !op.Completed || op.Return > deadline {
			late = append(late, lateOp{op: op, deadline: deadline})
		}
	}
	if len(late) == 0 {
		return nil
	}
	slices.SortStableFunc(late, func(a, b lateOp) int {
		if a.deadline != b.deadline {
			return cmp.Compare(a.deadline, b.deadline)
		}
		if a.op.Client != b.op.Client {
			return cmp.Compare(a.op.Client, b.op.Client)
		}
		return cmp.Compare(a.op.Cmd.Seq, b.op.Cmd.Seq)
	})
	clients := make([]nodes.ID, len(late))
	for i, l := range late {
		clients[i] = l.op.Client
	}
	first := late[0]
	outcome := "never completed"
	if first.op.Completed {
		outcome = fmt.Sprintf("completed at %v", first.op.Return)
	}
	return &Violation{
		Invariant: InvariantLiveness,
		Class:     ClassLiveness,
		At:        first.deadline,
		Nodes:     involved(clients...),
		Detail: fmt.Sprintf("%d operation(s) missed their deadline (faults healed at %v, window %v); first: client %v's %v, called at %v, due by %v, %s",
			len(late), healedAt, window, first.op.Client, first.op.Cmd, first.op.Call, first.deadline, outcome),
	}
}

func checkStall(history []client.Op, healedAt, window, runEnd time.Duration) *Violation {
	if runEnd-healedAt < window {
		return nil
	}
	var pending []nodes.ID
	for _, op := range history {
		if op.Completed && op.Return >= healedAt && op.Return <= runEnd {
			return nil
		}
		if !op.Completed {
			pending = append(pending, op.Client)
		}
	}
	if len(pending) == 0 {
		return nil
	}
	return &Violation{
		Invariant: InvariantLiveness,
		Class:     ClassLiveness,
		At:        runEnd,
		Nodes:     involved(pending...),
		Detail: fmt.Sprintf("no operation completed between the heal at %v and the run end at %v, while %d operation(s) were pending",
			healedAt, runEnd, len(pending)),
	}
}
