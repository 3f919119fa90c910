package scenarios

import (
	"fmt"
	"slices"
	"time"

	"github.com/consim/consim/network"
	"github.com/consim/consim/nodes"
	"github.com/consim/consim/sim"
)

// Kept faults. A fault with Keep set persists through the liveness phase:
// the phase heals every link and restarts every crashed server except what
// kept faults cut off or crashed. That leaves a minority down or cut off to
// the end of the run, so that the liveness phase no longer hides a protocol
// that needs more than a majority (checker.CheckAvailability then judges the
// whole run). Only faults that name their servers can be kept (crash with
// node or nodes, isolate, cut, partition), and together they must leave a
// majority of the servers untouched: up and connected among themselves. A
// later heal or restart in the schedule may not undo a kept fault; in a
// swarm scenario the drawn heals and restarts can, and then the liveness
// phase cuts a kept link again but does not crash a server again.

// keepable reports whether an action can be kept.
func keepable(a Action) bool {
	return a == ActCrash || a == ActIsolate || a == ActCut || a == ActPartition
}

// validateKept says what is wrong with the kept faults of s, naming the
// field.
func (s Scenario) validateKept() []error {
	var errs []error
	touched := map[nodes.ID]bool{}
	kept := false
	for i, f := range s.Faults {
		if !f.Keep {
			continue
		}
		kept = true
		if !keepable(f.Action) {
			errs = append(errs, fmt.Errorf("faults[%d].keep: %s cannot be kept (only crash, isolate, cut and partition, which name their servers)", i, f.Action))
			continue
		}
		if j := s.undoing(i); j >= 0 {
			errs = append(errs, fmt.Errorf("faults[%d].keep: the %s of faults[%d] at %v undoes it", i, s.Faults[j].Action, j, s.Faults[j].At))
			continue
		}
		for _, id := range s.keptServers(f) {
			touched[id] = true
		}
	}
	if majority := s.Servers/2 + 1; kept && s.Servers-len(touched) < majority {
		errs = append(errs, fmt.Errorf("faults: the kept faults crash or cut off %d of %d servers; a majority (%d) must stay up and connected", len(touched), s.Servers, majority))
	}
	return errs
}

// keptServers lists the servers a kept fault crashes or cuts off: the
// crashed ones, the isolated one, both ends of a cut, every server outside
// the largest group of a partition.
func (s Scenario) keptServers(f Fault) []nodes.ID {
	switch f.Action {
	case ActCrash:
		if f.Node != 0 {
			return []nodes.ID{f.Node}
		}
		return f.Nodes
	case ActIsolate:
		return []nodes.ID{f.Node}
	case ActCut:
		return []nodes.ID{f.From, f.To}
	case ActPartition:
		largest := slices.MaxFunc(f.Groups, func(a, b []nodes.ID) int { return len(a) - len(b) })
		return slices.DeleteFunc(allServers(s.Servers), func(id nodes.ID) bool { return slices.Contains(largest, id) })
	}
	panic(fmt.Sprintf("scenarios: %s cannot be kept", f.Action))
}

// undoing returns the index of a fault that comes after faults[i] when the
// schedule plays (by time, then schedule order) and undoes it: a heal of a
// kept link fault, a restart of a kept crash; -1 if none.
func (s Scenario) undoing(i int) int {
	f := s.Faults[i]
	for j, g := range s.Faults {
		if g.At < f.At || (g.At == f.At && j <= i) {
			continue
		}
		switch {
		case f.Action != ActCrash && g.Action == ActHeal:
			return j
		case f.Action == ActCrash && g.Action == ActRestart:
			restarted := g.Nodes
			if g.Node != 0 {
				restarted = []nodes.ID{g.Node}
			}
			if len(restarted) == 0 || slices.ContainsFunc(s.keptServers(f), func(id nodes.ID) bool { return slices.Contains(restarted, id) }) {
				return j
			}
		}
	}
	return -1
}

// keptSearch is the extra time a client may need in the liveness phase to
// get past the servers that kept faults leave down or cut off: two
// timeouts on each (a client tries a silent server twice).
func (s Scenario) keptSearch() time.Duration {
	return time.Duration(len(s.keptAway())) * 2 * s.Workload.Timeout
}

// keptAway lists, sorted and once each, the servers that kept faults leave
// down or cut off to the end of the run.
func (s Scenario) keptAway() []nodes.ID {
	var away []nodes.ID
	for _, f := range s.Faults {
		if f.Keep && keepable(f.Action) {
			away = append(away, s.keptServers(f)...)
		}
	}
	slices.Sort(away)
	return slices.Compact(away)
}

// keptLivenessPhase is the liveness phase of a scenario with kept faults:
// heal every link, stop message loss, end pauses and drift, then cut the
// kept links again and restart every crashed server but the kept ones. It
// reports false, doing nothing, when no fault is kept.
func (r *run) keptLivenessPhase() bool {
	var kept []Fault
	crashed := map[nodes.ID]bool{}
	for _, f := range r.faults {
		if f.Keep {
			kept = append(kept, f)
			if f.Action == ActCrash {
				for _, id := range r.scenario.keptServers(f) {
					crashed[id] = true
				}
			}
		}
	}
	if len(kept) == 0 {
		return false
	}
	r.world.Note(sim.KindFault, 0, 0, sim.HashString("liveness-phase-kept-some"),
		"liveness phase: heal all but the kept faults, stop loss, end pauses and drift, restart all but the kept crashes")
	r.net.Heal()
	r.net.SetConfig(network.Config{LatencyMin: r.scenario.Network.LatencyMin, LatencyTailMean: r.scenario.Network.LatencyTailMean})
	r.host.Calm()
	for _, f := range kept {
		switch f.Action {
		case ActIsolate, ActPartition:
			r.partition(f)
		case ActCut:
			r.must(f, r.net.Cut(f.From, f.To))
		}
	}
	for _, id := range r.host.Servers() {
		if !crashed[id] {
			r.host.Restart(id)
		}
	}
	return true
}
