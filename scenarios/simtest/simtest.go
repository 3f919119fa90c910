// Package simtest runs consim from a Go test: a sweep of seeds over
// scenarios that fails the test, for every failing seed, with the command
// that reproduces it and the folder of artifacts that explains it (the
// scenario as played, the trace, Porcupine's page and a space-time diagram).
//
//	func TestRaftSurvivesPartitions(t *testing.T) {
//		simtest.Run(t, simtest.Sweep{
//			Protocol:  "raft",
//			Scenarios: []string{"majority-partition", "flapping"},
//			Seeds:     50,
//		})
//	}
//
// Each scenario is a subtest; scenarios run in parallel (each seed in its
// own single-threaded World), so `go test -run Name/scenario` narrows a
// failure down.
package simtest

import (
	"fmt"
	"os"
	"testing"

	"github.com/consim/consim/scenarios"
	"github.com/consim/consim/scenarios/report"
)

// Sweep says what to run.
type Sweep struct {
	// Protocol is the protocol to run ("raft", "paxos", ...).
	Protocol string
	// Bug switches on a catalog bug (see scenarios.Bugs); with it the
	// sweep expects a failure (see WantFailure).
	Bug string
	// Scenarios are named scenarios; Files are scenario files. With
	// neither, every named scenario runs.
	Scenarios []string
	Files     []string
	// FirstSeed is the first seed (default 1); Seeds is how many (default
	// 20).
	FirstSeed uint64
	Seeds     int
	// ArtifactsDir is where failing runs' artifacts go: by default the
	// CONSIM_ARTIFACTS environment variable, else the test's temporary
	// directory (removed after the test: set one to keep them in CI).
	ArtifactsDir string
	// WantFailure turns the sweep around, for tests of the checkers
	// themselves: each scenario must fail on some seed, and failures are
	// logged instead of reported. Bug implies it.
	WantFailure bool
}

// Run runs the sweep as subtests of t and returns every result, in
// scenario then seed order. A failing seed fails its subtest with the
// reproduce command and the artifacts folder; bad input (an unknown
// scenario, protocol or bug, an unreadable file) fails t at once.
func Run(t *testing.T, sw Sweep) []scenarios.Result {
	t.Helper()
	list, err := sw.scenarios()
	if err != nil {
		t.Fatalf("simtest: %v", err)
	}
	seeds := sw.Seeds
	if seeds == 0 {
		seeds = 20
	}
	first := sw.FirstSeed
	if first == 0 {
		first = 1
	}
	dir := sw.ArtifactsDir
	if dir == "" {
		dir = os.Getenv("CONSIM_ARTIFACTS")
	}
	results := make([][]scenarios.Result, len(list))
	t.Run(sw.Protocol, func(t *testing.T) {
		for i, s := range list {
			t.Run(s.Name, func(t *testing.T) {
				t.Parallel()
				results[i] = sw.runScenario(t, s, first, seeds, dir)
			})
		}
	})
	var all []scenarios.Result
	for _, r := range results {
		all = append(all, r...)
	}
	return all
}

func (sw Sweep) scenarios() ([]scenarios.Scenario, error) {
	if _, err := scenarios.LookupProtocol(sw.Protocol); err != nil {
		return nil, err
	}
	if sw.Bug != "" {
		if _, err := scenarios.LookupBug(sw.Bug); err != nil {
			return nil, err
		}
	}
	names := sw.Scenarios
	if len(names) == 0 && len(sw.Files) == 0 {
		names = scenarios.Names()
	}
	var list []scenarios.Scenario
	for _, name := range names {
		s, err := scenarios.Named(name)
		if err != nil {
			return nil, err
		}
		list = append(list, s)
	}
	for _, path := range sw.Files {
		s, err := scenarios.LoadScenario(path)
		if err != nil {
			return nil, err
		}
		list = append(list, s)
	}
	return list, nil
}

func (sw Sweep) runScenario(t *testing.T, s scenarios.Scenario, first uint64, seeds int, dir string) []scenarios.Result {
	wantFailure := sw.WantFailure || sw.Bug != ""
	var results []scenarios.Result
	failed := false
	for seed := first; seed < first+uint64(seeds); seed++ {
		o := scenarios.Options{Protocol: sw.Protocol, Bug: sw.Bug, Seed: seed}
		res, err := scenarios.Run(s, o)
		if err != nil {
			t.Fatalf("simtest: %v", err)
		}
		if res.Failed() {
			failed = true
			report := describe(t, s, o, res, dir)
			if wantFailure {
				t.Log(report)
			} else {
				t.Error(report)
			}
		}
		res.Shed()
		results = append(results, res)
	}
	if wantFailure && !failed {
		t.Errorf("expected a failure of %s on %s within seeds %d..%d, every run passed", sw.Protocol, s.Name, first, first+uint64(seeds)-1)
	}
	return results
}

// describe writes the artifacts of a failing run and says how to see it
// again.
func describe(t *testing.T, s scenarios.Scenario, o scenarios.Options, res scenarios.Result, dir string) string {
	first := ""
	if len(res.Violations) > 0 {
		first = res.Violations[0].String()
	}
	if dir == "" {
		dir = t.TempDir()
	}
	folder, err := scenarios.WriteArtifacts(dir, s, o, res)
	if err == nil {
		_, err = report.WriteRunTimeline(folder, res)
	}
	if err != nil {
		folder = fmt.Sprintf("(not written: %v)", err)
	}
	return fmt.Sprintf("seed %d: %s: %s\n  reproduce: %s\n  artifacts: %s", o.Seed, res.Verdict, first, res.ReproduceCommand(), folder)
}
