// Package scenarios says what a simulated run is (a Scenario: cluster,
// network, workload, fault schedule, run length, liveness window), holds the
// named library of scenarios, and runs one: it builds the World, boots the
// nodes and clients, plays the fault schedule, and judges the result with
// the checkers.
//
// scenarios imports sim, network, nodes/..., checker; never cmd.
package scenarios

import (
	"errors"
	"fmt"
	"time"

	"github.com/consim/consim/network"
	"github.com/consim/consim/nodes"
	"github.com/consim/consim/nodes/client"
)

// Scenario is everything about a run except the seed and the protocol.
type Scenario struct {
	Name        string
	Description string
	// Servers is the cluster size.
	Servers int
	// Network is the link fault model for the whole run.
	Network network.Config
	// Clients is the number of simulated clients; each runs Workload.
	Clients  int
	Workload client.Config
	// Faults is the fault schedule, in any order; actions at the same time
	// fire in schedule order. Every action must come before the liveness
	// phase.
	Faults []Fault
	// Swarm draws an extra fault schedule from the seed (see swarm.go).
	Swarm bool
	// Duration is the whole run, in simulated time.
	Duration time.Duration
	// LivenessWindow is the bound within which operations must complete
	// once faults stop. The last 2×LivenessWindow of the run are the
	// liveness phase: at its start every partition heals, every crashed
	// node restarts and the network stops losing, duplicating and
	// reordering messages (latency stays); every operation called before the phase's second half
	// must then complete within LivenessWindow of max(call, phase start).
	LivenessWindow time.Duration
}

// FaultsEnd is when the liveness phase starts.
func (s Scenario) FaultsEnd() time.Duration { return s.Duration - 2*s.LivenessWindow }

// Validate says what is wrong with s, naming the field.
func (s Scenario) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if s.Servers < 1 || s.Servers > 15 {
		add("servers: %d, need 1..15", s.Servers)
	}
	if s.Clients < 0 || s.Clients > 100 {
		add("clients: %d, need 0..100", s.Clients)
	}
	if err := s.Network.Validate(); err != nil {
		add("network.%v", err)
	}
	if s.Clients > 0 {
		if err := s.Workload.Validate(); err != nil {
			add("workload.%v", err)
		}
	}
	if s.Duration <= 0 {
		add("duration: %v, must be positive", s.Duration)
	}
	if s.LivenessWindow <= 0 {
		add("liveness_window: %v, must be positive", s.LivenessWindow)
	} else if s.FaultsEnd() < 0 {
		add("liveness_window: 2×%v is longer than the duration %v", s.LivenessWindow, s.Duration)
	}
	for i, f := range s.Faults {
		if err := f.validate(s.Servers); err != nil {
			add("faults[%d]: %v", i, err)
		} else if f.At >= s.FaultsEnd() {
			add("faults[%d]: at %v is inside the liveness phase (faults must come before %v)", i, f.At, s.FaultsEnd())
		}
	}
	return errors.Join(errs...)
}

// Action names what a fault does.
type Action string

const (
	// ActPartition splits the servers into Groups.
	ActPartition Action = "partition"
	// ActPartitionLeaderMinority puts the current leader, with as many
	// others as keep it a minority, on one side, and the rest on the other.
	ActPartitionLeaderMinority Action = "partition-leader-minority"
	// ActRandomPartition splits the servers into two random halves, drawn
	// from the fault stream when the action fires.
	ActRandomPartition Action = "random-partition"
	// ActIsolate cuts Node off from the other servers.
	ActIsolate Action = "isolate"
	// ActIsolateLeader isolates the leader at the time the action fires.
	ActIsolateLeader Action = "isolate-leader"
	// ActCut blocks messages From->To only.
	ActCut Action = "cut"
	// ActHeal restores every link.
	ActHeal Action = "heal"
	// ActCrash crashes Node.
	ActCrash Action = "crash"
	// ActCrashLeader crashes the leader at the time the action fires.
	ActCrashLeader Action = "crash-leader"
	// ActRestart restarts Node, or every crashed node when Node is 0.
	ActRestart Action = "restart"
)

// Fault is one timed action of a fault schedule.
type Fault struct {
	At     time.Duration
	Action Action
	// Node is the node of isolate, crash and restart.
	Node nodes.ID
	// Groups are the sides of a partition.
	Groups [][]nodes.ID
	// From and To are the ends of a one-way cut.
	From, To nodes.ID
}

func (f Fault) String() string {
	switch f.Action {
	case ActPartition:
		return fmt.Sprintf("%v partition %v", f.At, f.Groups)
	case ActIsolate, ActCrash, ActRestart:
		if f.Node == 0 {
			return fmt.Sprintf("%v %s all", f.At, f.Action)
		}
		return fmt.Sprintf("%v %s n%d", f.At, f.Action, f.Node)
	case ActCut:
		return fmt.Sprintf("%v cut n%d->n%d", f.At, f.From, f.To)
	default:
		return fmt.Sprintf("%v %s", f.At, f.Action)
	}
}

func (f Fault) validate(servers int) error {
	if f.At < 0 {
		return fmt.Errorf("at: %v is negative", f.At)
	}
	inCluster := func(field string, id nodes.ID) error {
		if id < 1 || int(id) > servers {
			return fmt.Errorf("%s: node %d is outside the cluster 1..%d", field, id, servers)
		}
		return nil
	}
	switch f.Action {
	case ActPartition:
		if len(f.Groups) < 2 {
			return fmt.Errorf("groups: a partition needs at least two groups, got %d", len(f.Groups))
		}
		seen := map[nodes.ID]bool{}
		for _, g := range f.Groups {
			for _, id := range g {
				if err := inCluster("groups", id); err != nil {
					return err
				}
				if seen[id] {
					return fmt.Errorf("groups: node %d is in two groups", id)
				}
				seen[id] = true
			}
		}
	case ActIsolate, ActCrash:
		return inCluster("node", f.Node)
	case ActRestart:
		if f.Node != 0 {
			return inCluster("node", f.Node)
		}
	case ActCut:
		if err := inCluster("from", f.From); err != nil {
			return err
		}
		if err := inCluster("to", f.To); err != nil {
			return err
		}
		if f.From == f.To {
			return fmt.Errorf("cut: from and to are both node %d", f.From)
		}
	case ActPartitionLeaderMinority, ActRandomPartition, ActIsolateLeader, ActHeal, ActCrashLeader:
	default:
		return fmt.Errorf("action: unknown action %q", f.Action)
	}
	return nil
}
