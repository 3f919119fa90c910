package checker

import (
	"time"

	"github.com/consim/consim/nodes"
)

// Feature-effect checks (issue 16, [ClassEffect]): a Raft feature must do
// what it claims, not merely stay safe. Each check is a pure function of
// what the runner recorded during a run (the facts nodes reported, the
// fault actions it applied, the state of the network and the host after
// each of them) and is judged after the World stops. A check demands an
// effect only where nothing the runner knows of could excuse its absence:
// wherever the recorded state is uncertain (a server paused at some time in
// a span, a lossy or clogged network, drifting clocks) the span is taken as
// an excuse, so that a correct protocol never fails; the broken variants in
// raft.Bugs show that the checks still bite.
const (
	// InvariantTransferEffect: when the target of a leadership transfer is
	// up and reachable, it leads within an election timeout of the request,
	// or the attempt ends for a reason the runner saw (thesis §3.10).
	InvariantTransferEffect = "transfer-effect"
	// InvariantPreVoteEffect: while a leader hears from a connected majority,
	// no server raises the cluster's term, cut off or not (thesis §9.6).
	InvariantPreVoteEffect = "prevote-effect"
	// InvariantCheckQuorumEffect: a leader cut off from a majority steps
	// down within two check periods (thesis §6.2).
	InvariantCheckQuorumEffect = "checkquorum-effect"
	// InvariantSnapshotBounded: a server's storage stays bounded (§7).
	InvariantSnapshotBounded = "snapshot-bounded"
)

// WorldState is the state the runner left the world in at At, which holds
// until the next state of its Timeline. Slices are indexed by server id - 1.
type WorldState struct {
	At time.Duration
	// Up is whether the server's process runs.
	Up []bool
	// Paused is whether the server was paused at some time during the
	// span (a pause ends without a fault action, so the whole span counts).
	Paused []bool
	// Drifted is whether the server's timers run fast or slow.
	Drifted []bool
	// Linked[a][b] is whether messages from server a+1 reach server b+1
	// (no partition or cut between them).
	Linked [][]bool
	// Clogged is whether some link carries extra delay; Lossy whether the
	// network may drop messages between servers.
	Clogged, Lossy bool
}

// Timeline is the world's state through a run: States in increasing At,
// the first at 0, the last holding until End.
type Timeline struct {
	States []WorldState
	End    time.Duration
}

// span is the time state i holds: [States[i].At, next).
func (t Timeline) span(i int) (from, to time.Duration) {
	from, to = t.States[i].At, t.End
	if i+1 < len(t.States) {
		to = t.States[i+1].At
	}
	return from, to
}

// servers is the cluster size.
func (t Timeline) servers() int {
	if len(t.States) == 0 {
		return 0
	}
	return len(t.States[0].Up)
}

// linkedBoth is whether a and b hear each other in s.
func (s WorldState) linkedBoth(a, b nodes.ID) bool {
	return s.Linked[a-1][b-1] && s.Linked[b-1][a-1]
}

// calm is whether nothing in s can slow or lose a message or a timer:
// no loss, no clog, no drift and no pause anywhere.
func (s WorldState) calm() bool {
	if s.Lossy || s.Clogged {
		return false
	}
	for i := range s.Up {
		if s.Drifted[i] || s.Paused[i] {
			return false
		}
	}
	return true
}

// RoleEvent is a server's role from At on: a RoleChanged fact, or Role ""
// when the server went down.
type RoleEvent struct {
	At    time.Duration
	Node  nodes.ID
	Role  nodes.Role
	Epoch uint64
}

// TermEvent is a server's durable term reported at At (HardStateFact).
type TermEvent struct {
	At   time.Duration
	Node nodes.ID
	Term uint64
}

// TransferRequest is an operator's request to hand leadership from From to
// To, as delivered to From at At.
type TransferRequest struct {
	At       time.Duration
	From, To nodes.ID
	// Led is whether From led (by its last RoleChanged) when the request
	// reached it; Handled whether it was up and not paused, so that it
	// acted on the request at once.
	Led, Handled bool
	// Lag is how many entries To's durable log was behind From's.
	Lag uint64
}

// TransferExpiry is a TransferExpiredFact as reported by Node at At.
type TransferExpiry struct {
	At             time.Duration
	Node, To       nodes.ID
	Term           uint64
	Reason         string
	TimeoutNowSent bool
}

// EffectTiming is the protocol's timing the checks bound effects by.
type EffectTiming struct {
	// ElectionTimeout is the shortest election timeout: a transfer's
	// bound and CheckQuorum's check period.
	ElectionTimeout time.Duration
	// Slack covers messages in flight and the protocol's timer
	// granularity (a tick).
	Slack time.Duration
	// MaxLag is the largest lag (entries) of a transferee that one
	// AppendEntries catches up.
	MaxLag uint64
}

// tenure is a span during which Node led in Epoch.
type tenure struct {
	node     nodes.ID
	epoch    uint64
	from, to time.Duration
}

// tenures lists the leaderships in roles (sorted by time), each ending at
// the server's next role event, or at end.
func tenures(roles []RoleEvent, end time.Duration) []tenure {
	var out []tenure
	open := map[nodes.ID]int{}
	for _, e := range roles {
		if i, ok := open[e.Node]; ok {
			out[i].to = e.At
			delete(open, e.Node)
		}
		if e.Role == nodes.RoleLeader {
			open[e.Node] = len(out)
			out = append(out, tenure{node: e.Node, epoch: e.Epoch, from: e.At, to: end})
		}
	}
	return out
}

// quorumOf is a majority of n servers.
func quorumOf(n int) int { return n/2 + 1 }
