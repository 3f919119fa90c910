package checker

import (
	"fmt"
	"time"

	"github.com/consim/consim/nodes"
)

// TransferInput is what CheckTransferEffect judges.
type TransferInput struct {
	Requests []TransferRequest
	// Expiries are the TransferExpiredFacts the servers reported; with
	// ExpectExpiries every attempt that does not hand over must show up
	// among them (our Raft reports them; etcd's adapter does not).
	Expiries       []TransferExpiry
	ExpectExpiries bool
	Roles          []RoleEvent
	Timeline       Timeline
	Timing         EffectTiming
}

// CheckTransferEffect judges leadership transfers (thesis §3.10) by their
// effect. For a request that reached a leader L for target T at time t:
//
//   - Handover: if the window [t - ElectionTimeout, t + ElectionTimeout +
//     Slack] is clean, T leads within ElectionTimeout + Slack of t. Clean
//     means: the network and every server calm (no loss, clog, drift or
//     pause), L and T up, L and T hear each other, T hears and is heard by a
//     majority of up servers, T at most MaxLag entries behind L, no other
//     transfer request within the bound before or after, and L leading until
//     T does (a leader that loses leadership, to a disruptive candidate for
//     instance, has a legitimate reason for the attempt to end).
//   - Record: with ExpectExpiries, every attempt L acted on is accounted
//     for: L reports its end (TransferExpiredFact, at or after t: timed out,
//     superseded, or stepped down, which is also how a handover ends for L)
//     unless it went down first.
//
// The lookback lets L's view of T settle (a server that just rejoined or
// restarted may need more than one round to catch up).
func CheckTransferEffect(in TransferInput) []Violation {
	var out []Violation
	bound := in.Timing.ElectionTimeout + in.Timing.Slack
	for i, r := range in.Requests {
		if !r.Led || !r.Handled || r.From == r.To {
			continue
		}
		if in.ExpectExpiries {
			if v := unrecordedTransfer(in, r); v != nil {
				out = append(out, *v)
				continue
			}
		}
		if !transferWindowClean(in, i, bound) {
			continue
		}
		led, lost := transferOutcome(in.Roles, r, r.At+bound)
		if led || lost {
			continue
		}
		detail := fmt.Sprintf("leader %v was asked at %v to hand over to %v, which was up, caught up (%d entries behind) and connected in a calm network, yet did not lead by %v (an election timeout %v plus %v)",
			r.From, r.At, r.To, r.Lag, r.At+bound, in.Timing.ElectionTimeout, in.Timing.Slack)
		if e, ok := expiryOf(in.Expiries, r); ok {
			detail += fmt.Sprintf("; %v reported the attempt ended at %v: %s (timeout-now sent: %v)", r.From, e.At, e.Reason, e.TimeoutNowSent)
		}
		out = append(out, Violation{Invariant: InvariantTransferEffect, Class: ClassEffect, At: r.At + bound,
			Nodes: sortedNodes(r.From, r.To), Detail: detail})
	}
	return out
}

// unrecordedTransfer reports an attempt that neither L's facts nor its
// going down account for.
func unrecordedTransfer(in TransferInput, r TransferRequest) *Violation {
	if _, ok := expiryOf(in.Expiries, r); ok {
		return nil
	}
	for _, e := range in.Roles {
		if e.Node == r.From && e.At >= r.At && e.Role == "" {
			return nil
		}
	}
	return &Violation{Invariant: InvariantTransferEffect, Class: ClassEffect, At: in.Timeline.End, Nodes: sortedNodes(r.From, r.To),
		Detail: fmt.Sprintf("leader %v was asked at %v to hand over to %v and never recorded how the attempt ended (no transfer-expired fact, and it stayed up)", r.From, r.At, r.To)}
}

// expiryOf finds the first end L reported for an attempt to T at or after
// the request.
func expiryOf(expiries []TransferExpiry, r TransferRequest) (TransferExpiry, bool) {
	for _, e := range expiries {
		if e.Node == r.From && e.To == r.To && e.At >= r.At {
			return e, true
		}
	}
	return TransferExpiry{}, false
}

// transferOutcome says whether T led after the request and by deadline, and
// whether L stopped leading before T led (within the deadline).
func transferOutcome(roles []RoleEvent, r TransferRequest, deadline time.Duration) (led, lost bool) {
	for _, e := range roles {
		if e.At < r.At || e.At > deadline {
			continue
		}
		if e.Node == r.To && e.Role == nodes.RoleLeader {
			return true, false
		}
		if e.Node == r.From && e.Role != nodes.RoleLeader {
			return false, true
		}
	}
	return false, false
}

// transferWindowClean says whether request i's window leaves the attempt no
// excuse (see CheckTransferEffect).
func transferWindowClean(in TransferInput, i int, bound time.Duration) bool {
	r := in.Requests[i]
	if r.Lag > in.Timing.MaxLag {
		return false
	}
	from, to := r.At-in.Timing.ElectionTimeout, r.At+bound
	for j, o := range in.Requests {
		if j != i && o.At >= r.At-bound && o.At <= to {
			return false
		}
	}
	if to > in.Timeline.End {
		return false
	}
	t := in.Timeline
	for k, s := range t.States {
		a, b := t.span(k)
		if b <= from || a > to {
			continue
		}
		if !s.calm() || !s.Up[r.From-1] || !s.Up[r.To-1] || !s.linkedBoth(r.From, r.To) {
			return false
		}
		heard := 0
		for id := 1; id <= len(s.Up); id++ {
			if s.Up[id-1] && (nodes.ID(id) == r.To || s.linkedBoth(r.To, nodes.ID(id))) {
				heard++
			}
		}
		if heard < quorumOf(len(s.Up)) {
			return false
		}
	}
	return true
}

// sortedNodes lists ids in increasing order without repeats.
func sortedNodes(ids ...nodes.ID) []nodes.ID {
	var out []nodes.ID
	for _, id := range ids {
		k := 0
		for k < len(out) && out[k] < id {
			k++
		}
		if k < len(out) && out[k] == id {
			continue
		}
		out = append(out[:k], append([]nodes.ID{id}, out[k:]...)...)
	}
	return out
}
