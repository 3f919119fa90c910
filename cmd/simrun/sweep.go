package main

import (
	"context"
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

// sweepPlan is a validated sweep: every protocol × scenario × seed of the
// plan's shard.
type sweepPlan struct {
	// bug is the catalog bug switched on in every run ("" for none).
	bug       string
	protocols []string
	scenarios []scenarios.Scenario
	// file is the scenario file the one scenario came from, or "" when
	// the scenarios are named ones.
	file        string
	first, last uint64
	// shard is the slice of first..last this sweep runs (wholeRange for
	// all of it).
	shard   shard
	workers int
	// runs is how many runs the plan makes: its jobs' length.
	runs int
	// checkDeterminism runs every job twice and fails the runs whose
	// fingerprints differ.
	checkDeterminism bool
	// failures says which files the failing runs leave.
	failures failureOptions
	// junit is the file of the JUnit report ("" for none).
	junit string
}

// failureOptions are the files a sweep leaves for its failing runs.
type failureOptions struct {
	// artifactsDir is where the artifacts folders go ("" for none).
	artifactsDir string
	// max bounds the failing runs that get files: the first ones.
	max int
	// shrink writes each one's shrunk scenario.
	shrink bool
}

// maxSweepRuns bounds one sweep (one shard of it) so that a typo cannot
// queue billions of runs.
const maxSweepRuns = 100_000_000

// shard is a deterministic slice of a seed range first..last: the seeds s
// with (s - first) mod count == index. The count shards of a range hold
// each of its seeds exactly once.
type shard struct {
	index, count uint64
}

// wholeRange is the one shard that holds every seed.
var wholeRange = shard{index: 0, count: 1}

func (s shard) String() string { return fmt.Sprintf("%d/%d", s.index, s.count) }

// parseShard parses "I/N" with 0 <= I < N; "" is the whole range.
func parseShard(text string) (shard, error) {
	if text == "" {
		return wholeRange, nil
	}
	i, n, found := strings.Cut(text, "/")
	if !found {
		return shard{}, fmt.Errorf("%q: want I/N, the shard I of N (0 <= I < N), such as 0/4", text)
	}
	index, err := strconv.ParseUint(i, 10, 64)
	if err != nil {
		return shard{}, fmt.Errorf("%q: shard index %q is not a non-negative integer", text, i)
	}
	count, err := strconv.ParseUint(n, 10, 64)
	if err != nil || count == 0 {
		return shard{}, fmt.Errorf("%q: shard count %q is not a positive integer", text, n)
	}
	if index >= count {
		return shard{}, fmt.Errorf("%q: shard index %d is not below the count %d (shards are 0 to %d)", text, index, count, count-1)
	}
	return shard{index: index, count: count}, nil
}

// seeds is how many seeds of first..last (first <= last) the shard holds,
// or false when they are more than limit.
func (s shard) seeds(first, last, limit uint64) (uint64, bool) {
	span := last - first
	if s.index > span {
		return 0, true
	}
	beyondFirst := (span - s.index) / s.count
	if beyondFirst >= limit {
		return 0, false
	}
	return beyondFirst + 1, true
}

// newSweepPlan checks the sweep's flags: the scenario is a file when file
// is not empty, else the named one (or all).
func newSweepPlan(protocolList, scenarioName, file, seedsText string, sh shard, workers int) (sweepPlan, error) {
	p := sweepPlan{shard: sh}
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
	inShard := ""
	if sh != wholeRange {
		inShard = " in shard " + sh.String()
	}
	seeds, ok := sh.seeds(first, last, maxSweepRuns)
	runs := seeds * uint64(len(p.protocols)*len(p.scenarios))
	if !ok || runs > maxSweepRuns {
		return p, usagef("sweep: --seeds: %s makes more than %d runs%s (use more shards)", seedsText, maxSweepRuns, inShard)
	}
	p.runs = int(runs)
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
	scenario *scenarios.Scenario
	options  scenarios.Options
}

// jobs lists the plan's runs in report order: scenario, protocol, seed.
func (p sweepPlan) jobs() []job {
	jobs := make([]job, 0, p.runs)
	span := p.last - p.first
	for i := range p.scenarios {
		for _, proto := range p.protocols {
			for offset := p.shard.index; offset <= span; offset += p.shard.count {
				jobs = append(jobs, job{&p.scenarios[i], scenarios.Options{Protocol: proto, Bug: p.bug, Seed: p.first + offset}})
				if span-offset < p.shard.count {
					break // the next offset is past the range (or past 2^64)
				}
			}
		}
	}
	return jobs
}

// runJobs runs jobs on `workers` goroutines, one World each, until every
// job is done or ctx is cancelled; then each worker finishes the run it is
// in and takes no new one. Workers take jobs in order, so the finished runs
// are always the first len(results) jobs. The results come in job order
// whatever order the runs finished in, each shed of its history and trace.
// finished, when not nil, hears of each finished run from the worker that
// ran it. simulate makes one job's run. The first error (bad input) is
// returned.
func runJobs(ctx context.Context, jobs []job, workers int, simulate func(job) (scenarios.Result, error), finished func(scenarios.Result)) ([]scenarios.Result, error) {
	results := make([]scenarios.Result, len(jobs))
	errs := make([]error, len(jobs))
	var mu sync.Mutex
	taken := 0 // jobs[:taken] have been handed to workers
	take := func() (int, bool) {
		mu.Lock()
		defer mu.Unlock()
		if taken == len(jobs) || ctx.Err() != nil {
			return 0, false
		}
		taken++
		return taken - 1, true
	}
	var wg sync.WaitGroup
	for range min(workers, len(jobs)) {
		wg.Go(func() {
			for i, ok := take(); ok; i, ok = take() {
				results[i], errs[i] = simulate(jobs[i])
				results[i].Shed()
				if errs[i] == nil && finished != nil {
					finished(results[i])
				}
			}
		})
	}
	wg.Wait()
	return results[:taken], errors.Join(errs[:taken]...)
}

// simulate is how the plan makes one job's run: once, or with
// checkDeterminism twice, the run failing if the two differ.
func (p sweepPlan) simulate(inv invocation) func(job) (scenarios.Result, error) {
	return func(j job) (scenarios.Result, error) {
		r, err := inv.runScenario(*j.scenario, j.options)
		if err != nil || !p.checkDeterminism {
			return r, err
		}
		again, err := inv.runScenario(*j.scenario, j.options)
		if err != nil {
			return r, err
		}
		if again.Fingerprint != r.Fingerprint {
			markNondeterministic(&r, again.Fingerprint)
		}
		return r, nil
	}
}

// execute runs every job on the plan's workers, writes the failing runs'
// files, and prints the results.
func (p sweepPlan) execute(inv invocation, jsonOut bool) (int, error) {
	jobs := p.jobs()
	progress := startMeter(inv, "sweep", len(jobs), jsonOut)
	started := time.Now()
	results, err := runJobs(inv.ctx, jobs, p.workers, p.simulate(inv), progress.finished)
	wall := time.Since(started)
	progress.stop()
	if err != nil {
		return exitUsage, err
	}
	if err := nameDivergences(inv, jobs, results); err != nil {
		return exitUsage, err
	}
	f := p.failures
	notes := writeFailureFiles(inv, jobs, results, f.artifactsDir, f.shrink, f.max, p.workers)
	for i, r := range results {
		if r.Verdict == verdictNondeterministic {
			notes[i].Nondeterministic = r.Violations[0].Detail
		}
	}
	if jsonOut {
		enc := json.NewEncoder(inv.stdout)
		for i, r := range results {
			if err := enc.Encode(runLine{r, notes[i]}); err != nil {
				return exitUsage, err
			}
		}
	} else {
		printSweep(inv.stdout, sweepHeader{first: p.first, last: p.last, shard: p.shard, workers: p.workers, wall: wall, file: p.file, notes: notes}, results)
	}
	if p.junit != "" {
		if err := writeJUnit(p.junit, p.junitHeader(), results, notes); err != nil {
			return exitUsage, fmt.Errorf("sweep: --junit: %w", err)
		}
	}
	code := exitOK
	if slices.ContainsFunc(results, scenarios.Result.Failed) {
		code = exitViolation
	}
	if len(results) < len(jobs) {
		if f.shrink && slices.ContainsFunc(results, scenarios.Result.Failed) {
			fmt.Fprintln(inv.stderr, "simrun: sweep: interrupted: failing runs not shrunk")
		}
		printInterrupted(inv, jsonOut, len(results), len(jobs))
		if code == exitOK {
			code = exitInterrupted
		}
	}
	return code, nil
}

// printInterrupted ends the report of a sweep that an interrupt stopped
// after done of total runs; beside JSON lines it goes to stderr, so that
// stdout stays JSON.
func printInterrupted(inv invocation, jsonOut bool, done, total int) {
	out := inv.stdout
	if jsonOut {
		out = inv.stderr
	}
	fmt.Fprintf(out, "interrupted: %d of %d runs done\n", done, total)
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

// sweepHeader is what a sweep's report says besides its results: where
// they came from. printSweep needs nothing else, so a report can be made
// again from the JSON lines of the runs (simrun merge).
type sweepHeader struct {
	first, last uint64
	// shard is the slice of first..last the sweep ran (wholeRange for all).
	shard shard
	// workers and wall are the sweep's parallelism and wall time; zero
	// for a merge.
	workers int
	wall    time.Duration
	// inputs is how many files a merge read; zero for a sweep.
	inputs int
	// file is the scenario file the runs came from, or "" when they came
	// from named scenarios; the reproduce commands use it.
	file string
	// notes, when not nil, holds what the sweep added to each result
	// (in the same order): where its artifacts and shrunk scenario went.
	notes []runNotes
}

// summary is the report's first line, about runs runs of events events.
func (h sweepHeader) summary(runs int, events uint64, runTime time.Duration) string {
	seeds := fmt.Sprintf("seeds %d:%d", h.first, h.last)
	if h.shard.count > 1 {
		seeds += " shard " + h.shard.String()
	}
	if h.inputs > 0 {
		return fmt.Sprintf("merge: %s, %d runs from %d inputs, %v of run time (per worker: %.1f seeds/s, %.2fM events/s)",
			seeds, runs, h.inputs, runTime.Round(time.Millisecond),
			float64(runs)/runTime.Seconds(), float64(events)/runTime.Seconds()/1e6)
	}
	return fmt.Sprintf("sweep: %s, %d runs on %d workers in %v (%.1f seeds/s, %.2fM events/s)",
		seeds, runs, h.workers, h.wall.Round(time.Millisecond),
		float64(runs)/h.wall.Seconds(), float64(events)/h.wall.Seconds()/1e6)
}

// printSweep prints the table of results (in report order: scenario,
// protocol, seed), the verdict, and every failing run with the command
// that reproduces it.
func printSweep(out io.Writer, h sweepHeader, results []scenarios.Result) {
	var rows []*row
	index := map[string]*row{}
	var failures []int // indexes into results
	var events uint64
	var runTime time.Duration
	for i, r := range results {
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
			failures = append(failures, i)
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
		runTime += r.WallTime
	}
	fmt.Fprintln(out, h.summary(len(results), events, runTime))
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
	for _, i := range failures {
		r := results[i]
		first := ""
		if len(r.Violations) > 0 {
			first = r.Violations[0].String()
			if i := strings.IndexByte(first, '\n'); i >= 0 {
				first = first[:i]
			}
		}
		fmt.Fprintf(out, "  FAIL %s seed %d: %s: %s\n    reproduce: %s\n", r.Scenario, r.Seed, r.Verdict, first, reproduceCommand(r, h.file))
		if r.Swarm {
			fmt.Fprintf(out, "    as a file: %s\n", drawnCommand(r, h.file))
		}
		if h.notes == nil {
			continue
		}
		if n := h.notes[i]; n.Artifacts != "" {
			fmt.Fprintf(out, "    artifacts: %s\n", n.Artifacts)
		}
		if n := h.notes[i]; n.Shrunk != "" {
			fmt.Fprintf(out, "    shrunk: %s\n", n.Shrunk)
		}
	}
}
