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

// RoleEvent is one nodes.RoleChanged fact, with when and by whom.
type RoleEvent struct {
	_ struct{}
	// At is the simulated time of the report.
	At time.Duration
	// Node is the server that reported it.
	Node nodes.ID
	// Role and Epoch are the fact's (Epoch: the Raft term, the Paxos
	// ballot round).
	Role  nodes.Role
	Epoch uint64
}

// CheckStability judges the role changes of a run with no faults at all
// (the runner decides which runs qualify), in the order they were
// reported, ending at end. The first election may take several rounds
// (split votes raise the epoch); it ends when a server first becomes
// leader, in epoch E. From then on no server may become leader again (a
// leader change) and no server may report an epoch above E (a term or
// round change: an election was started). A report of an epoch below E
// comes from a server that has not yet heard of the leader, and a
// candidate or pre-candidate report at E itself raises nothing; neither is
// judged. A run in which no server ever becomes leader violates it too.
//
// It returns at most one violation, ClassEffect, at the first offending
// report, with the number of offending reports.
func CheckStability(events []RoleEvent, end time.Duration) []Violation {
	first := -1
	for i, e := range events {
		if e.Role == nodes.RoleLeader {
			first = i
			break
		}
	}
	if first < 0 {
		return []Violation{{
			Invariant: InvariantStability,
			Class:     ClassEffect,
			At:        end,
			Detail:    fmt.Sprintf("no server became leader by the run end at %v, in a run without faults", end),
		}}
	}
	leader := events[first]
	var offending []RoleEvent
	for _, e := range events[first+1:] {
		if e.Role == nodes.RoleLeader || e.Epoch > leader.Epoch {
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
		Detail: fmt.Sprintf("in a run without faults, %v became leader in epoch %d at %v, then %v reported %s in epoch %d at %v (%s); %d such report(s) after the first election",
			leader.Node, leader.Epoch, leader.At, o.Node, o.Role, o.Epoch, o.At, what, len(offending)),
	}}
}
