package checker

import (
	"fmt"
	"time"

	"github.com/consim/consim/nodes"
)

// CheckQuorumInput is what CheckCheckQuorumEffect judges.
type CheckQuorumInput struct {
	Roles     []RoleEvent
	Transfers []TransferRequest
	Timeline  Timeline
	Timing    EffectTiming
}

// CheckQuorumBound is how long a leader cut off from a majority may go on
// leading: two check periods (a period is an election timeout; the first
// check after the cut may still count answers from before it, so only the
// second must fail) plus Slack (timer granularity, messages in flight).
func CheckQuorumBound(t EffectTiming) time.Duration { return 2*t.ElectionTimeout + t.Slack }

// CheckCheckQuorumEffect judges CheckQuorum (thesis §6.2) by its effect:
// a leader cut off from a majority steps down within CheckQuorumBound.
//
// A leader L is cut off over a window [c, c + CheckQuorumBound] when it is
// up, neither paused nor drifting, throughout, and the servers that were
// up and connected to it both ways at any time in the window, L included,
// are fewer than a majority: every check period that ends in the window
// then counts fewer than a majority of answers (servers that answer in
// turn, one early in a period and another late, count together). If L led
// at c, it must have stopped leading (stepped down or gone down) by c +
// CheckQuorumBound. The windows start at L's election and at every change
// of the world's state; a window holding a transfer request to L is
// skipped (etcd restarts its check period on one).
func CheckCheckQuorumEffect(in CheckQuorumInput) []Violation {
	bound := CheckQuorumBound(in.Timing)
	t := in.Timeline
	var out []Violation
	for _, ten := range tenures(in.Roles, t.End) {
		starts := []time.Duration{ten.from}
		for _, s := range t.States {
			if s.At > ten.from && s.At < ten.to {
				starts = append(starts, s.At)
			}
		}
		for _, c := range starts {
			deadline := c + bound
			if deadline >= ten.to || deadline >= t.End || !cutOffOver(in, ten.node, c, deadline) {
				continue
			}
			out = append(out, Violation{Invariant: InvariantCheckQuorumEffect, Class: ClassEffect, At: deadline, Nodes: []nodes.ID{ten.node},
				Detail: fmt.Sprintf("%v led term %d, heard from no majority from %v, and still led at %v (bound: two check periods of %v plus %v)",
					ten.node, ten.epoch, c, deadline, in.Timing.ElectionTimeout, in.Timing.Slack)})
			break
		}
	}
	return out
}

// cutOffOver is whether id is cut off over [from, to] (see
// CheckCheckQuorumEffect).
func cutOffOver(in CheckQuorumInput, id nodes.ID, from, to time.Duration) bool {
	for _, r := range in.Transfers {
		if r.From == id && r.At >= from && r.At <= to {
			return false
		}
	}
	t := in.Timeline
	heard := make([]bool, t.servers())
	heard[id-1] = true
	for k, s := range t.States {
		a, b := t.span(k)
		if b <= from && a != from || a > to {
			continue
		}
		if !s.Up[id-1] || s.Paused[id-1] || s.Drifted[id-1] {
			return false
		}
		for other := 1; other <= len(s.Up); other++ {
			if s.Up[other-1] && s.linkedBoth(id, nodes.ID(other)) {
				heard[other-1] = true
			}
		}
	}
	count := 0
	for _, h := range heard {
		if h {
			count++
		}
	}
	return count < quorumOf(len(heard))
}
