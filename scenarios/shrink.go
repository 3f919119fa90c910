package scenarios

import (
	"fmt"
	"slices"
	"time"
)

// ShrinkLimits bounds a shrink.
type ShrinkLimits struct {
	// MaxRuns is the most simulations a shrink may make; 0 means 300.
	MaxRuns int
}

// Size measures a run for shrinking: what a person has to read.
type Size struct {
	Faults     int    `json:"faults"`
	Operations int    `json:"operations"`
	Events     uint64 `json:"events"`
	Clients    int    `json:"clients"`
	// Duration is the scenario's run length.
	Duration time.Duration `json:"duration_ns"`
}

func (z Size) String() string {
	return fmt.Sprintf("%s, %s, %s, %s, %v", plural(z.Faults, "fault action"), plural(z.Operations, "operation"),
		plural(int(z.Events), "event"), plural(z.Clients, "client"), z.Duration)
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func sizeOf(s Scenario, r Result) Size {
	return Size{Faults: len(s.Faults), Operations: r.OpsOK + r.OpsUnknown, Events: r.Events, Clients: s.Clients, Duration: s.Duration}
}

// Shrunk is what a shrink found.
type Shrunk struct {
	// Scenario is the smallest failing scenario found: it fails with
	// Options' seed and protocol with the same verdict as the original.
	Scenario Scenario
	// Verdict is the failure class kept throughout.
	Verdict string
	// Result is the shrunk scenario's run.
	Result        Result
	Before, After Size
	// Runs is how many simulations the shrink made.
	Runs int
}

// Shrink reduces a failing run of s under o to a smaller scenario that
// still fails with the same class of violation (the same verdict): it
// writes out a swarm scenario's drawn faults, then greedily removes fault
// actions (in halves, then quarters, ... then one by one), shortens the
// run, lowers the number of clients and operations and the key count, and
// turns off message loss; after each step it re-runs and keeps the change
// only if the verdict is unchanged. It is deterministic: the same input
// shrinks to the same output. It returns an error if the run does not fail.
func Shrink(s Scenario, o Options, limits ShrinkLimits) (Shrunk, error) {
	if limits.MaxRuns == 0 {
		limits.MaxRuns = 300
	}
	first, err := Run(s, o)
	if err != nil {
		return Shrunk{}, err
	}
	if !first.Failed() {
		return Shrunk{}, fmt.Errorf("shrink: %s seed %d does not fail (verdict %s)", s.Name, o.Seed, first.Verdict)
	}
	sh := &shrinker{options: o, limits: limits, verdict: first.Verdict, runs: 1}
	best, bestResult := Draw(s, o.Seed), first
	before := sizeOf(best, first)
	if best.Swarm != s.Swarm { // the drawn faults must still fail on their own
		if r, ok := sh.fails(best); ok {
			bestResult = r
		} else {
			best = s
		}
	}
	for progress := true; progress && sh.runs < limits.MaxRuns; {
		progress = false
		for _, step := range []func(Scenario, Result) (Scenario, Result, bool){
			sh.dropFaults, sh.shorten, sh.fewerClients, sh.fewerOperations, sh.fewerKeys, sh.cleanNetwork,
		} {
			if s2, r2, ok := step(best, bestResult); ok {
				best, bestResult, progress = s2, r2, true
			}
		}
	}
	return Shrunk{Scenario: best, Verdict: sh.verdict, Result: bestResult, Before: before, After: sizeOf(best, bestResult), Runs: sh.runs}, nil
}

type shrinker struct {
	options Options
	limits  ShrinkLimits
	verdict string
	runs    int
}

// fails runs s and reports whether it fails with the verdict being kept.
func (sh *shrinker) fails(s Scenario) (Result, bool) {
	if sh.runs >= sh.limits.MaxRuns || s.Validate() != nil {
		return Result{}, false
	}
	sh.runs++
	r, err := Run(s, sh.options)
	if err != nil || r.Verdict != sh.verdict {
		return Result{}, false
	}
	r.Shed()
	return r, true
}

// dropFaults removes chunks of the fault schedule, from halves down to
// single actions (delta debugging's complement step).
func (sh *shrinker) dropFaults(s Scenario, r Result) (Scenario, Result, bool) {
	improved := false
	for chunk := max(1, len(s.Faults)/2); chunk >= 1; chunk /= 2 {
		for start := 0; start < len(s.Faults); {
			try := s
			try.Faults = slices.Delete(slices.Clone(s.Faults), start, min(start+chunk, len(s.Faults)))
			if r2, ok := sh.fails(try); ok {
				s, r, improved = try, r2, true
				continue // the same start now names the next chunk
			}
			start += chunk
		}
		if chunk == 1 {
			break
		}
	}
	return s, r, improved
}

// shorten cuts the run to just past the last fault, or past the violation.
func (sh *shrinker) shorten(s Scenario, r Result) (Scenario, Result, bool) {
	lastFault := time.Duration(0)
	for _, f := range s.Faults {
		lastFault = max(lastFault, f.At+f.Duration)
	}
	floor := lastFault + time.Millisecond + 2*s.LivenessWindow
	if len(r.Violations) > 0 && r.Violations[0].At+time.Millisecond > floor && r.Verdict != "liveness" {
		floor = r.Violations[0].At + time.Millisecond
	}
	improved := false
	for s.Duration > floor {
		try := s
		try.Duration = max(floor, (s.Duration+floor)/2).Round(time.Millisecond)
		if try.Duration >= s.Duration {
			break
		}
		r2, ok := sh.fails(try)
		if !ok {
			break
		}
		s, r, improved = try, r2, true
	}
	return s, r, improved
}

func (sh *shrinker) fewerClients(s Scenario, r Result) (Scenario, Result, bool) {
	improved := false
	for s.Clients > 1 {
		try := s
		try.Clients--
		r2, ok := sh.fails(try)
		if !ok {
			break
		}
		s, r, improved = try, r2, true
	}
	return s, r, improved
}

// fewerOperations lengthens the clients' think time.
func (sh *shrinker) fewerOperations(s Scenario, r Result) (Scenario, Result, bool) {
	improved := false
	for s.Workload.ThinkTimeMean < 500*time.Millisecond {
		try := s
		try.Workload.ThinkTimeMean = max(2*s.Workload.ThinkTimeMean, 10*time.Millisecond)
		r2, ok := sh.fails(try)
		if !ok || r2.OpsOK+r2.OpsUnknown >= r.OpsOK+r.OpsUnknown {
			break
		}
		s, r, improved = try, r2, true
	}
	return s, r, improved
}

func (sh *shrinker) fewerKeys(s Scenario, r Result) (Scenario, Result, bool) {
	if s.Workload.Keys <= 1 {
		return s, r, false
	}
	try := s
	try.Workload.Keys = 1
	if r2, ok := sh.fails(try); ok {
		return try, r2, true
	}
	return s, r, false
}

// cleanNetwork turns off loss, duplication, reordering and per-link models.
func (sh *shrinker) cleanNetwork(s Scenario, r Result) (Scenario, Result, bool) {
	n := s.Network
	if n.DropRate == 0 && n.DuplicateRate == 0 && n.ReorderRate == 0 && len(n.Links) == 0 {
		return s, r, false
	}
	try := s
	try.Network.DropRate, try.Network.DuplicateRate, try.Network.ReorderRate, try.Network.Links = 0, 0, 0, nil
	try.Network.ReorderDelayMax = 0
	if r2, ok := sh.fails(try); ok {
		return try, r2, true
	}
	return s, r, false
}
