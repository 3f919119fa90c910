package checker

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/consim/consim/nodes"
	"github.com/consim/consim/nodes/client"
)

// InvariantAvailability is a client's operation that did not complete
// while a quorum of servers was available to that client (see
// CheckAvailability).
const InvariantAvailability = "availability"

// AvailabilityWindow is a stretch of simulated time [Start, End) during
// which one quorum of servers was available to one client: every server of
// Quorum up and not paused, the quorum's servers connected among
// themselves both ways, the client connected both ways to each of them,
// and no server outside the quorum claiming to lead. The runner builds the
// windows from the faults it applied (scenarios' availability tracker);
// what "connected" means for a lossy or slow link is its decision, and
// documented there.
type AvailabilityWindow struct {
	Client nodes.ID
	// Quorum is a majority of the servers, in increasing order.
	Quorum []nodes.ID
	// Start and End bound the window; End is at most the run's end.
	Start, End time.Duration
}

func (w AvailabilityWindow) String() string {
	return fmt.Sprintf("[%v, %v) quorum %s for client %v", w.Start, w.End, nodeList(w.Quorum), w.Client)
}

// AvailabilityBound is how much time a quorum gets to serve a client. Raft
// (§5.2, §5.6) and Multi-Paxos promise progress only once a majority can
// talk for long enough to elect a leader; then a client's command needs the
// client to find that leader (hints, timeouts, backoff) and one round to
// commit.
type AvailabilityBound struct {
	// Settle is how long a window must have been open before its client's
	// operations are owed anything: time for the quorum to elect a leader.
	Settle time.Duration
	// Complete is how long an operation may take, counted from its call or
	// from the window's start plus Settle, whichever is later: time for a
	// re-election inside the quorum and for the client to find the leader.
	Complete time.Duration
}

// CheckAvailability checks that a client whose quorum is available gets
// its operations done (the point of consensus: a majority that can talk
// keeps going). For each window w and each operation of w.Client, the
// deadline is max(call, w.Start+Settle) + Complete; when the deadline is at
// or before w.End (the window lasted long enough to judge) the operation
// must have completed by then. An operation that never learned its outcome
// misses it. Operations the client called before the window opened (in
// flight while the quorum was cut) are judged from the window's settled
// start like the others.
//
// It returns at most one violation, at the earliest missed deadline,
// naming that window, its quorum and the operations that waited in it.
// windows need not be sorted; the history is the whole run's.
func CheckAvailability(history []client.Op, windows []AvailabilityWindow, bound AvailabilityBound) []Violation {
	if bound.Settle < 0 || bound.Complete <= 0 {
		panic(fmt.Sprintf("checker: availability bound %+v: settle must not be negative and complete must be positive", bound))
	}
	byClient := map[nodes.ID][]int{} // lookups only: no order reaches the output
	for i, w := range windows {
		byClient[w.Client] = append(byClient[w.Client], i)
	}
	type miss struct {
		op       client.Op
		window   int
		deadline time.Duration
	}
	var first *miss
	for _, op := range history {
		for _, i := range byClient[op.Client] {
			w := windows[i]
			deadline := max(op.Call, w.Start+bound.Settle) + bound.Complete
			if deadline > w.End || (op.Completed && op.Return <= deadline) {
				continue
			}
			m := miss{op: op, window: i, deadline: deadline}
			if first == nil || earlier(m.deadline, m.op, m.window, first.deadline, first.op, first.window) {
				first = &m
			}
		}
	}
	if first == nil {
		return nil
	}
	w := windows[first.window]
	// The operations of the client that waited in the same window.
	var waited []client.Op
	for _, op := range history {
		deadline := max(op.Call, w.Start+bound.Settle) + bound.Complete
		if op.Client == w.Client && deadline <= w.End && (!op.Completed || op.Return > deadline) {
			waited = append(waited, op)
		}
	}
	slices.SortStableFunc(waited, func(a, b client.Op) int { return cmp.Compare(a.Cmd.Seq, b.Cmd.Seq) })
	return []Violation{{
		Invariant: InvariantAvailability,
		Class:     ClassLiveness,
		At:        first.deadline,
		Nodes:     involved(append(slices.Clone(w.Quorum), w.Client)...),
		Detail: fmt.Sprintf("quorum %s was available to client %v over %v - %v (settle %v, then %v per operation), yet %d operation(s) waited past their deadline: %s",
			nodeList(w.Quorum), w.Client, w.Start, w.End, bound.Settle, bound.Complete, len(waited), describeWaits(waited, w, bound)),
	}}
}

// earlier orders misses by deadline, then client, sequence and window.
func earlier(d1 time.Duration, op1 client.Op, w1 int, d2 time.Duration, op2 client.Op, w2 int) bool {
	if c := cmp.Or(cmp.Compare(d1, d2), cmp.Compare(op1.Client, op2.Client), cmp.Compare(op1.Cmd.Seq, op2.Cmd.Seq)); c != 0 {
		return c < 0
	}
	return w1 < w2
}

// describeWaits lists up to three waiting operations with their call,
// deadline and outcome.
func describeWaits(waited []client.Op, w AvailabilityWindow, bound AvailabilityBound) string {
	var parts []string
	for i, op := range waited {
		if i == 3 {
			parts = append(parts, fmt.Sprintf("and %d more", len(waited)-3))
			break
		}
		outcome := "never completed"
		if op.Completed {
			outcome = fmt.Sprintf("completed at %v", op.Return)
		}
		parts = append(parts, fmt.Sprintf("%v called at %v, due by %v, %s",
			op.Cmd, op.Call, max(op.Call, w.Start+bound.Settle)+bound.Complete, outcome))
	}
	return strings.Join(parts, "; ")
}
