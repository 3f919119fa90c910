package scenarios

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/consim/consim/nodes"
	"github.com/consim/consim/sim"
)

// swarmKinds are the fault kinds swarm mode chooses among.
var swarmKinds = []Action{
	ActPartitionRandomHalves, ActPartitionMajority, ActPartitionLeaderMinority, ActBridge,
	ActMajoritiesRing, ActIsolateLeader, ActCut, ActClog, ActCrash, ActCrashLeader,
	ActCrashMinority, ActPause, ActPauseLeader, ActDrift,
}

// swarmFaults draws a fault schedule from rng, in the manner of swarm
// testing (FoundationDB, TigerBeetle's VOPR): first which fault kinds are on
// for this seed and how often faults come, then the schedule itself. Each
// seed thereby explores a different mix instead of the average of all.
// Disk corruption (which halts a node for good) is kept to a minority of
// the servers over the whole run, so that a majority can recover.
func swarmFaults(s Scenario, rng *rand.Rand) []Fault {
	kinds := swarmKinds
	if s.SwarmVersion >= 2 {
		kinds = swarmKindsV2
	}
	var on []Action
	for _, k := range kinds {
		if rng.IntN(3) == 0 {
			on = append(on, k)
		}
	}
	if len(on) == 0 {
		on = append(on, kinds[rng.IntN(len(kinds))])
	}
	// How often a crash damages the disk: never, sometimes, often.
	diskRate := []float64{0, 0.2, 0.5}[rng.IntN(3)]
	corruptible := (s.Servers - 1) / 2
	corrupted := map[nodes.ID]bool{}
	// Mean gap between actions: 100ms to 1s.
	gapMean := time.Duration(100+rng.IntN(900)) * time.Millisecond
	randomNode := func() nodes.ID { return nodes.ID(1 + rng.IntN(s.Servers)) }
	var faults []Fault
	cut := false // whether a link is cut, partitioned or clogged now
	for at := drawGap(rng, gapMean); at < s.FaultsEnd(); at += drawGap(rng, gapMean) {
		if rng.IntN(3) == 0 { // recover from earlier faults
			// A heal only where something is cut, as a scenario file
			// requires; otherwise restart whatever crashed.
			if rng.IntN(2) == 0 && cut {
				faults = append(faults, Fault{At: at, Action: ActHeal})
				cut = false
			} else {
				faults = append(faults, Fault{At: at, Action: ActRestart})
			}
			continue
		}
		f := Fault{At: at, Action: on[rng.IntN(len(on))]}
		cut = cut || cuts(f.Action)
		switch f.Action {
		case ActCut, ActClog:
			if s.Servers < 2 {
				continue
			}
			f.From = randomNode()
			f.To = nodes.ID(int(f.From)%s.Servers + 1)
			if f.Action == ActClog {
				f.Delay = time.Duration(10+rng.IntN(300)) * time.Millisecond
			}
		case ActBridge:
			if s.Servers < 3 {
				continue
			}
		case ActCrash:
			f.Node = randomNode()
			if rng.Float64() < diskRate {
				f.Disk = DiskTorn
				if rng.IntN(2) == 0 && (corrupted[f.Node] || len(corrupted) < corruptible) {
					f.Disk = DiskCorrupt
					corrupted[f.Node] = true
				}
			}
		case ActCrashLeader, ActCrashMinority:
			if rng.Float64() < diskRate {
				f.Disk = DiskTorn
			}
		case ActPause, ActPauseLeader:
			f.Duration = time.Duration(50+rng.IntN(1000)) * time.Millisecond
			if f.Action == ActPause {
				f.Node = randomNode()
			}
		case ActDrift:
			f.Node = randomNode()
			f.Factor = []float64{0.25, 0.5, 1, 2, 4}[rng.IntN(5)]
		case ActTransferLeader:
			for _, g := range transferFollowUp(f, rng) {
				faults = append(faults, g)
				cut = cut || cuts(g.Action)
			}
			continue
		}
		faults = append(faults, f)
	}
	return faults
}

// swarmKindsV2 are the kinds of swarm version 2: version 1's and
// transfer-leader, last, so that the draws of a seed differ from version
// 1's only from the first kind it adds.
var swarmKindsV2 = append(slices.Clone(swarmKinds), ActTransferLeader)

// transferFollowUp is a drawn transfer-leader (to a random server, the
// fault stream's choice) and, half the time, what happens to the old
// leader right after: paused for 50ms to 1s or isolated (swarm's later
// heals end it), 1ms to 50ms after the request, while the handover is
// under way.
func transferFollowUp(f Fault, rng *rand.Rand) []Fault {
	faults := []Fault{f}
	after := f.At + time.Duration(1+rng.IntN(50))*time.Millisecond
	switch rng.IntN(4) {
	case 0:
		faults = append(faults, Fault{At: after, Action: ActPauseLeader, Duration: time.Duration(50+rng.IntN(1000)) * time.Millisecond})
	case 1:
		faults = append(faults, Fault{At: after, Action: ActIsolateLeader})
	}
	return faults
}

// drawGap draws the time to the next action, whole milliseconds, at least 1.
func drawGap(rng *rand.Rand, mean time.Duration) time.Duration {
	return max(time.Millisecond, time.Duration(rng.ExpFloat64()*float64(mean)).Truncate(time.Millisecond))
}

// Draw returns s as it plays with seed: for a swarm scenario, its drawn
// faults written out after the fixed ones and Swarm off (the same stream
// Run draws from, so the result replays the same run without swarm mode);
// any other scenario unchanged.
func Draw(s Scenario, seed uint64) Scenario {
	if !s.Swarm {
		return s
	}
	faults := append(slices.Clone(s.Faults), swarmFaults(s, sim.New(seed, sim.Limits{}).Stream("swarm"))...)
	slices.SortStableFunc(faults, func(a, b Fault) int { return cmp.Compare(a.At, b.At) })
	s.Faults, s.Swarm = faults, false
	s.Name = fmt.Sprintf("%s-seed-%d", s.Name, seed)
	if s.Description != "" {
		s.Description = fmt.Sprintf("%s (drawn for seed %d)", s.Description, seed)
	}
	return s
}
