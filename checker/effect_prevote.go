package checker

import (
	"fmt"
	"time"

	"github.com/consim/consim/nodes"
)

// PreVoteInput is what CheckPreVoteEffect judges.
type PreVoteInput struct {
	Terms     []TermEvent
	Roles     []RoleEvent
	Transfers []TransferRequest
	Timeline  Timeline
	Timing    EffectTiming
}

// CheckPreVoteEffect judges PreVote (thesis §9.6) by its effect: a server
// cut off from the leader, or from everyone, and rejoining does not raise
// the cluster's term.
//
// A stable span is a time during which one server L leads, the servers up
// and connected to L both ways are a majority, and the world is calm (no
// loss, clog, drift or pause anywhere), with no transfer request in it or
// within an election timeout and Slack before it (TimeoutNow skips the
// pre-vote). Once the span has lasted ElectionTimeout + Slack (every
// member of L's majority has heard from L since: heartbeats come more often
// than that), a pre-candidate can win no majority: L's majority refuses it,
// and the rest is a minority. So from then until the span ends, no server
// may report a term above the highest term any server had reported by
// then.
func CheckPreVoteEffect(in PreVoteInput) []Violation {
	settle := in.Timing.ElectionTimeout + in.Timing.Slack
	var out []Violation
	for _, sp := range stableSpans(in, settle) {
		base := uint64(0)
		for _, e := range in.Terms {
			if e.At <= sp.from+settle {
				base = max(base, e.Term)
			}
		}
		for _, e := range in.Terms {
			if e.At > sp.from+settle && e.At < sp.to && e.Term > base {
				out = append(out, Violation{Invariant: InvariantPreVoteEffect, Class: ClassEffect, At: e.At, Nodes: sortedNodes(e.Node, sp.leader),
					Detail: fmt.Sprintf("%v raised its term to %d at %v while %v had led a connected majority in a calm network since %v (the highest term by %v was %d)",
						e.Node, e.Term, e.At, sp.leader, sp.from, sp.from+settle, base)})
				break
			}
		}
	}
	return out
}

// stableSpan is a time during which leader led a connected majority in a
// calm world.
type stableSpan struct {
	leader   nodes.ID
	from, to time.Duration
}

// stableSpans cuts the leaders' tenures by the timeline into stable spans
// (see CheckPreVoteEffect), dropping those shorter than settle. A span
// starts afresh at every change of the world's state.
func stableSpans(in PreVoteInput, settle time.Duration) []stableSpan {
	var out []stableSpan
	t := in.Timeline
	for _, ten := range tenures(in.Roles, t.End) {
		for k, s := range t.States {
			a, b := t.span(k)
			a, b = max(a, ten.from), min(b, ten.to)
			if b-a <= settle || !s.calm() || !s.Up[ten.node-1] {
				continue
			}
			connected := 0
			for id := 1; id <= len(s.Up); id++ {
				if s.Up[id-1] && (nodes.ID(id) == ten.node || s.linkedBoth(ten.node, nodes.ID(id))) {
					connected++
				}
			}
			if connected < quorumOf(len(s.Up)) {
				continue
			}
			// A transfer skips the pre-vote: no span holds one, or one
			// within the bound before it.
			for _, r := range in.Transfers {
				if r.At >= a-settle && r.At < b {
					if r.At < a+settle {
						a = r.At + settle
					} else {
						b = r.At
					}
				}
			}
			if b-a > settle {
				out = append(out, stableSpan{leader: ten.node, from: a, to: b})
			}
		}
	}
	return out
}
