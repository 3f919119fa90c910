package scenarios

import (
	"math/rand/v2"
	"time"

	"github.com/consim/consim/nodes"
)

// swarmFaults draws a fault schedule from rng, in the manner of swarm
// testing (FoundationDB, TigerBeetle's VOPR): first which fault kinds are on
// for this seed and how often faults come, then the schedule itself. Each
// seed thereby explores a different mix instead of the average of all.
func swarmFaults(s Scenario, rng *rand.Rand) []Fault {
	kinds := []Action{ActRandomPartition, ActIsolateLeader, ActPartitionLeaderMinority, ActCut, ActCrash, ActCrashLeader}
	var on []Action
	for _, k := range kinds {
		if rng.IntN(2) == 0 {
			on = append(on, k)
		}
	}
	if len(on) == 0 {
		on = append(on, kinds[rng.IntN(len(kinds))])
	}
	// Mean gap between actions: 100ms to 1s.
	gapMean := time.Duration(100+rng.IntN(900)) * time.Millisecond
	var faults []Fault
	end := s.FaultsEnd()
	for at := time.Duration(rng.ExpFloat64() * float64(gapMean)); at < end; at += time.Duration(rng.ExpFloat64() * float64(gapMean)) {
		at = at.Truncate(time.Millisecond)
		switch rng.IntN(3) {
		case 0: // recover from earlier faults
			if rng.IntN(2) == 0 {
				faults = append(faults, Fault{At: at, Action: ActHeal})
			} else {
				faults = append(faults, Fault{At: at, Action: ActRestart})
			}
			continue
		}
		f := Fault{At: at, Action: on[rng.IntN(len(on))]}
		switch f.Action {
		case ActCut:
			if s.Servers < 2 {
				continue
			}
			f.From = nodes.ID(1 + rng.IntN(s.Servers))
			f.To = nodes.ID(int(f.From)%s.Servers + 1)
		case ActCrash:
			f.Node = nodes.ID(1 + rng.IntN(s.Servers))
		}
		faults = append(faults, f)
	}
	return faults
}
