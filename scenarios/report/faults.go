package report

import (
	"time"

	"github.com/consim/consim/scenarios"
)

// Window is a stretch of simulated time a scenario spends under one
// fault, as its schedule says (the run may differ in what the fault hits:
// crash-leader crashes whichever server leads then).
type Window struct {
	Start, End time.Duration
	// Kind is network (a partition, isolation, cut or clog), crash, pause
	// or drift.
	Kind  string
	Label string
}

// Fault kinds of a Window.
const (
	KindNetwork = "network"
	KindCrash   = "crash"
	KindPause   = "pause"
	KindDrift   = "drift"
)

// FaultWindows are the windows of s's fault schedule: a partition, cut,
// clog or isolation lasts until the next heal or the liveness phase; a
// crash until the next restart or the liveness phase; a pause for its
// Duration; a drift until a drift of factor 1 or the liveness phase. A
// kept fault (Fault.Keep, Scenario.KeepFaults) lasts to the end of the
// run. A swarm scenario draws its faults from the seed: it has none here.
func FaultWindows(s scenarios.Scenario) []Window {
	if s.Swarm {
		return nil
	}
	phase := s.FaultsEnd()
	var windows []Window
	for i, f := range s.Faults {
		end := phase
		if f.Keep || s.KeepFaults {
			end = s.Duration
		}
		// until returns the time of the first later fault that ends f.
		until := func(ends func(scenarios.Fault) bool) time.Duration {
			for _, g := range s.Faults[i+1:] {
				if g.At >= f.At && ends(g) && g.At < end {
					return g.At
				}
			}
			return end
		}
		var w Window
		switch f.Action {
		case scenarios.ActPartition, scenarios.ActPartitionHalves, scenarios.ActPartitionRandomHalves,
			scenarios.ActPartitionMajority, scenarios.ActPartitionLeaderMinority, scenarios.ActBridge,
			scenarios.ActMajoritiesRing, scenarios.ActIsolate, scenarios.ActIsolateLeader,
			scenarios.ActCut, scenarios.ActClog:
			w = Window{Kind: KindNetwork, End: until(func(g scenarios.Fault) bool { return g.Action == scenarios.ActHeal })}
		case scenarios.ActCrash, scenarios.ActCrashLeader, scenarios.ActCrashMinority, scenarios.ActCrashAll:
			w = Window{Kind: KindCrash, End: until(func(g scenarios.Fault) bool { return g.Action == scenarios.ActRestart })}
		case scenarios.ActPause, scenarios.ActPauseLeader:
			w = Window{Kind: KindPause, End: min(f.At+f.Duration, s.Duration)}
		case scenarios.ActDrift:
			if f.Factor == 1 {
				continue
			}
			w = Window{Kind: KindDrift, End: until(func(g scenarios.Fault) bool { return g.Action == scenarios.ActDrift && g.Node == f.Node })}
		default: // heal, restart, transfer-leader: no window of their own
			continue
		}
		if w.End <= f.At {
			continue // a fault at or after the liveness phase starts
		}
		w.Start, w.Label = f.At, f.String()
		windows = append(windows, w)
	}
	return windows
}
