package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/consim/consim/scenarios"
)

// sweepPlan is a validated sweep: every protocol × scenario × seed.
type sweepPlan struct {
	// bug is the catalog bug switched on in every run ("" for none).
	bug       string
	protocols []string
	scenarios []scenarios.Scenario
	// file is the scenario file the one scenario came from, or "" when
	// the scenarios are named ones.
	file    string
	first   uint64
	last    uint64
	workers int
}

// maxSweepRuns bounds one sweep so that a typo cannot queue billions of runs.
const maxSweepRuns = 100_000_000

// newSweepPlan checks the sweep's flags: the scenario is a file when file
// is not empty, else the named one (or all).
func newSweepPlan(protocolList, scenarioName, file, seedsText string, workers int) (sweepPlan, error) {
	var p sweepPlan
	for _, name := range strings.Split(protocolList, ",") {
		name = strings.TrimSpace(name)
		if _, err := scenarios.LookupProtocol(name); err != nil {
			return p, usagef("sweep: --protocol: %v", err)
		}
		if !slices.Contains(p.protocols, name) {
			p.protocols = append(p.protocols, name)
		}
	}
	if err := p.addScenarios(scenarioName, file); err != nil {
		return p, err
	}
	first, last, err := parseSeedRange(seedsText)
	if err != nil {
		return p, usagef("sweep: --seeds: %v", err)
	}
	p.first, p.last = first, last
	if workers < 1 {
		return p, usagef("sweep: --workers: %d, need at least 1", workers)
	}
	p.workers = workers
	if runs := (last - first + 1) * uint64(len(p.protocols)*len(p.scenarios)); runs > maxSweepRuns || last-first+1 > maxSweepRuns {
		return p, usagef("sweep: --seeds: %s makes more than %d runs", seedsText, maxSweepRuns)
	}
	return p, nil
}

// addScenarios adds the scenario of the file, or the named one, or all.
func (p *sweepPlan) addScenarios(name, file string) error {
	if file != "" {
		s, err := scenarios.LoadScenario(file)
		if err != nil {
			return err
		}
		p.scenarios, p.file = append(p.scenarios, s), file
		return nil
	}
	names := []string{name}
	if name == "all" {
		names = scenarios.Names()
	}
	for _, name := range names {
		s, err := scenarios.Named(name)
		if err != nil {
			return usagef("sweep: --scenario: %v", err)
		}
		p.scenarios = append(p.scenarios, s)
	}
	return nil
}

// parseSeedRange parses "A:B" (inclusive, A <= B) or a single seed "A".
func parseSeedRange(text string) (uint64, uint64, error) {
	a, b, found := strings.Cut(text, ":")
	if !found {
		b = a
	}
	first, err := strconv.ParseUint(a, 10, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("%q: start %q is not a non-negative integer", text, a)
	}
	last, err := strconv.ParseUint(b, 10, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("%q: end %q is not a non-negative integer", text, b)
	}
	if last < first {
		return 0, 0, fmt.Errorf("%q: end %d is before start %d", text, last, first)
	}
	return first, last, nil
}

// job is one run of a sweep.
type job struct {
	scenario scenarios.Scenario
	options  scenarios.Options
}

func (p sweepPlan) jobs() []job {
	var jobs []job
	for _, s := range p.scenarios {
		for _, proto := range p.protocols {
			for seed := p.first; ; seed++ {
				jobs = append(jobs, job{s, scenarios.Options{Protocol: proto, Bug: p.bug, Seed: seed}})
				if seed == p.last {
					break
				}
			}
		}
	}
	return jobs
}

// runJobs runs jobs on `workers` goroutines, one World each, and returns the
// results in job order whatever order they finish in, each shed of its
// history and trace. The first error (bad input) is returned.
func runJobs(jobs []job, workers int) ([]scenarios.Result, error) {
	results := make([]scenarios.Result, len(jobs))
	errs := make([]error, len(jobs))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(workers, len(jobs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				results[i], errs[i] = scenarios.Run(jobs[i].scenario, jobs[i].options)
				results[i].Shed()
			}
		}()
	}
	for i := range jobs {
		next <- i
	}
	close(next)
	wg.Wait()
	return results, errors.Join(errs...)
}

// execute runs every job on the plan's workers and prints the results.
func (p sweepPlan) execute(out io.Writer, jsonOut bool) (int, error) {
	started := time.Now()
	results, err := runJobs(p.jobs(), p.workers)
	if err != nil {
		return exitUsage, err
	}
	wall := time.Since(started)
	if jsonOut {
		enc := json.NewEncoder(out)
		for _, r := range results {
			if err := enc.Encode(r); err != nil {
				return exitUsage, err
			}
		}
	} else {
		printSweep(out, p, results, wall)
	}
	for _, r := range results {
		if r.Failed() {
			return exitViolation, nil
		}
	}
	return exitOK, nil
}

// row aggregates the runs of one protocol on one scenario.
type row struct {
	protocol, scenario string
	runs, failed       int
	opsOK, opsUnknown  int
	committed          uint64
	messages           uint64
	leaderChanges      int
	events             uint64
	wall               time.Duration
	// p50s and p99s are the runs' latency percentiles; the table shows
	// their medians.
	p50s, p99s []time.Duration
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	sorted := slices.Clone(ds)
	slices.Sort(sorted)
	return sorted[len(sorted)/2].Round(10 * time.Microsecond)
}

func printSweep(out io.Writer, p sweepPlan, results []scenarios.Result, wall time.Duration) {
	var rows []*row
	index := map[string]*row{}
	var failures []scenarios.Result
	var events uint64
	for _, r := range results {
		key := r.Scenario + "/" + r.Protocol
		agg := index[key]
		if agg == nil {
			agg = &row{protocol: r.Protocol, scenario: r.Scenario}
			index[key] = agg
			rows = append(rows, agg)
		}
		agg.runs++
		if r.Failed() {
			agg.failed++
			failures = append(failures, r)
		}
		agg.opsOK += r.OpsOK
		agg.opsUnknown += r.OpsUnknown
		agg.committed += r.Committed
		agg.messages += r.Network.Sent
		agg.leaderChanges += r.LeaderChanges
		agg.events += r.Events
		agg.wall += r.WallTime
		agg.p50s = append(agg.p50s, r.LatencyP50)
		agg.p99s = append(agg.p99s, r.LatencyP99)
		events += r.Events
	}
	fmt.Fprintf(out, "sweep: seeds %d:%d, %d runs on %d workers in %v (%.1f seeds/s, %.2fM events/s)\n",
		p.first, p.last, len(results), p.workers, wall.Round(time.Millisecond),
		float64(len(results))/wall.Seconds(), float64(events)/wall.Seconds()/1e6)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\tprotocol\truns\tfailed\tops ok/run\tunknown/run\tp50\tp99\tmsgs/commit\tleader changes/run\tevents/s\t")
	for _, a := range rows {
		n := float64(a.runs)
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%.0f\t%.1f\t%v\t%v\t%.1f\t%.1f\t%.2fM\t\n",
			a.scenario, a.protocol, a.runs, a.failed, float64(a.opsOK)/n, float64(a.opsUnknown)/n,
			median(a.p50s), median(a.p99s),
			float64(a.messages)/float64(max(a.committed, 1)), float64(a.leaderChanges)/n,
			float64(a.events)/a.wall.Seconds()/1e6)
	}
	tw.Flush()
	fmt.Fprintln(out, "(p50, p99: median over runs of each run's operation latency percentiles, in simulated time)")
	if len(failures) == 0 {
		fmt.Fprintln(out, "verdict: ok, no violation")
		return
	}
	fmt.Fprintf(out, "verdict: %d failing runs\n", len(failures))
	for _, r := range failures {
		first := ""
		if len(r.Violations) > 0 {
			first = r.Violations[0].String()
			if i := strings.IndexByte(first, '\n'); i >= 0 {
				first = first[:i]
			}
		}
		fmt.Fprintf(out, "  FAIL %s seed %d: %s: %s\n    reproduce: %s\n", r.Scenario, r.Seed, r.Verdict, first, reproduceCommand(r, p.file))
		if r.Swarm {
			fmt.Fprintf(out, "    as a file: %s\n", drawnCommand(r, p.file))
		}
	}
}
