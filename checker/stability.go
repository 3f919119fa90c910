package checker

import (
	"fmt"
	"time"

	"github.com/consim/consim/nodes"
)

// InvariantStability: in a run with no faults at all, the cluster elects
// one leader and keeps it. Raft §5.2: a leader sends heartbeats to
// maintain its authority, and a follower starts an election only when it
// hears nothing for an election timeout; Paxos Made Simple §3: the
// distinguished proposer stays while it is not believed failed. A second
// election, or a term or ballot round raised, in a cluster where nothing
// failed is a protocol that does not do what it claims.
const InvariantStability = "stability"

// StabilityEvent is one nodes.RoleChanged fact, with when and by whom; or,
// with Applied set, the first command a server applied (kv.AppliedFact)
// since its last role change.
type StabilityEvent struct {
	_ struct{}
	// At is the simulated time of the report.
	At time.Duration
	// Node is the server that reported it.
	Node nodes.ID
	// Role and Epoch are the fact's (Epoch: the Raft term, the Paxos
	// ballot round); unset when Applied.
	Role  nodes.Role
	Epoch uint64
	// Applied marks the server's first applied command since its last
	// role change, instead of a role change.
	Applied bool
}

// CheckStability judges the events of a run with no faults at all (the
// runner decides which runs qualify), in the order they were reported,
// ending at end.
//
// The first election ends once a leader is established: when a server
// that leads applies a command while it leads (it has had an entry of its
// epoch committed, Raft §5.4.2 and §8, or a value chosen in its ballot;
// until then a rival that stood at the same time may still win, as
// dueling Paxos proposers do, Paxos Made Simple §3). Until then split
// votes and rival candidacies are part of the first election. If no
// leader ever applies anything, the first election ends at the first
// leader. From then on no server may become leader again (a leader
// change) and no server may report an epoch above the established
// leader's (a term or round change: an election was started). A report of
// an epoch at or below it raises nothing and is not judged (a server that
// had not yet heard of the leader, or a pre-vote). A run in which no
// server ever becomes leader violates it too.
//
// It returns at most one violation, ClassEffect, at the first offending
// report, with the number of offending reports.
func CheckStability(events []StabilityEvent, end time.Duration) []Violation {
	settled := establishment(events)
	if settled < 0 {
		return []Violation{{
			Invariant: InvariantStability,
			Class:     ClassEffect,
			At:        end,
			Detail:    fmt.Sprintf("no server became leader by the run end at %v, in a run without faults", end),
		}}
	}
	leader := events[settled]
	var offending []StabilityEvent
	for _, e := range events[settled+1:] {
		if !e.Applied && (e.Role == nodes.RoleLeader || e.Epoch > leader.Epoch) {
			offending = append(offending, e)
		}
	}
	if len(offending) == 0 {
		return nil
	}
	o := offending[0]
	what := "a second leader election"
	if o.Epoch > leader.Epoch {
		what = "a new epoch: an election was started"
	}
	return []Violation{{
		Invariant: InvariantStability,
		Class:     ClassEffect,
		At:        o.At,
		Nodes:     involved(leader.Node, o.Node),
		Detail: fmt.Sprintf("in a run without faults, %v led in epoch %d from %v, then %v reported %s in epoch %d at %v (%s); %d such report(s) after the first election",
			leader.Node, leader.Epoch, leader.At, o.Node, o.Role, o.Epoch, o.At, what, len(offending)),
	}}
}

// establishment returns the position in events of the leader election
// that ended the first election (see CheckStability), or -1 if no server
// became leader.
func establishment(events []StabilityEvent) int {
	first := -1
	// leading[node] is the position of node's leader event while its last
	// role report is leader.
	leading := map[nodes.ID]int{}
	for i, e := range events {
		switch {
		case e.Applied:
			if at, ok := leading[e.Node]; ok {
				return at
			}
		case e.Role == nodes.RoleLeader:
			leading[e.Node] = i
			if first < 0 {
				first = i
			}
		default:
			delete(leading, e.Node)
		}
	}
	return first
}
