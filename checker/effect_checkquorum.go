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
// A leader L is cut off while it is up, neither paused nor drifting, and
// fewer than a majority of servers (L included) are up and connected to it
// both ways. If L leads at some time s in a cut-off stretch that lasts
// past s + CheckQuorumBound, it must have stopped leading (stepped down or
// gone down) by then. A transfer request to L restarts the stretch (etcd
// restarts its check period on one).
func CheckCheckQuorumEffect(in CheckQuorumInput) []Violation {
	bound := CheckQuorumBound(in.Timing)
	var out []Violation
	for _, ten := range tenures(in.Roles, in.Timeline.End) {
		for _, c := range cutOffStretches(in, ten.node) {
			s := max(c.from, ten.from)
			if s >= c.to || s >= ten.to {
				continue
			}
			deadline := s + bound
			if deadline < c.to && ten.to > deadline {
				out = append(out, Violation{Invariant: InvariantCheckQuorumEffect, Class: ClassEffect, At: deadline, Nodes: []nodes.ID{ten.node},
					Detail: fmt.Sprintf("%v led term %d, cut off from a majority from %v, and still led at %v (bound: two check periods of %v plus %v)",
						ten.node, ten.epoch, s, deadline, in.Timing.ElectionTimeout, in.Timing.Slack)})
				break
			}
		}
	}
	return out
}

// cutOffStretches lists the maximal stretches during which id is cut off
// from a majority (see CheckCheckQuorumEffect).
func cutOffStretches(in CheckQuorumInput, id nodes.ID) []stableSpan {
	var out []stableSpan
	t := in.Timeline
	for k, s := range t.States {
		a, b := t.span(k)
		if !cutOff(s, id) || a == b {
			continue
		}
		if n := len(out); n > 0 && out[n-1].to == a {
			out[n-1].to = b
		} else {
			out = append(out, stableSpan{leader: id, from: a, to: b})
		}
	}
	for _, r := range in.Transfers {
		if r.From != id {
			continue
		}
		for i := range out {
			if r.At >= out[i].from && r.At < out[i].to {
				out[i].from = r.At
			}
		}
	}
	return out
}

// cutOff is whether id, up and neither paused nor drifting, hears from
// fewer than a majority in s.
func cutOff(s WorldState, id nodes.ID) bool {
	if !s.Up[id-1] || s.Paused[id-1] || s.Drifted[id-1] {
		return false
	}
	heard := 1
	for other := 1; other <= len(s.Up); other++ {
		if nodes.ID(other) != id && s.Up[other-1] && s.linkedBoth(id, nodes.ID(other)) {
			heard++
		}
	}
	return heard < quorumOf(len(s.Up))
}
