package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
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
	// report is the file of the HTML report ("" for none).
	report string
	// limits holds the memory budget and linearizability timeout of every
	// run (the other fields of Options are the job's).
	limits scenarios.Options
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
	index, err := parseCount(i)
	if err != nil {
		return shard{}, fmt.Errorf("%q: shard index %v", text, err)
	}
	count, err := parseCount(n)
	switch {
	case errors.Is(err, errTooLarge):
		return shard{}, fmt.Errorf("%q: shard count %v", text, err)
	case err != nil || count == 0:
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
		proto, err := scenarios.LookupProtocol(strings.TrimSpace(name))
		if err != nil {
			return p, usagef("sweep: --protocol: %v", err)
		}
		// Canonical names: two spellings of one feature set are one protocol.
		if !slices.Contains(p.protocols, proto.Name) {
			p.protocols = append(p.protocols, proto.Name)
		}
	}
	// Report order, whatever the order given: the order merge restores.
	slices.SortStableFunc(p.protocols, func(a, b string) int { return scenarios.ProtocolRank(a) - scenarios.ProtocolRank(b) })
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

// addScenarios adds the scenario of the file, or the named ones (a comma
// list, or all), in library order (the order merge restores) and each
// once.
func (p *sweepPlan) addScenarios(list, file string) error {
	if file != "" {
		s, err := scenarios.LoadScenario(file)
		if err != nil {
			return err
		}
		p.scenarios, p.file = append(p.scenarios, s), file
		return nil
	}
	var names []string
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		if name == "all" {
			names = append(names, scenarios.Names()...)
			continue
		}
		if _, err := scenarios.Named(name); err != nil {
			return usagef("sweep: --scenario: %v", err)
		}
		names = append(names, name)
	}
	slices.SortStableFunc(names, func(a, b string) int { return scenarioRank(a) - scenarioRank(b) })
	for _, name := range slices.Compact(names) {
		s, _ := scenarios.Named(name)
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
	first, err := parseCount(a)
	if err != nil {
		return 0, 0, fmt.Errorf("%q: start %v", text, err)
	}
	last, err := parseCount(b)
	if err != nil {
		return 0, 0, fmt.Errorf("%q: end %v", text, err)
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
	jobs := make([]job, p.runs)
	for i := range jobs {
		jobs[i] = p.job(i)
	}
	return jobs
}

// job is the plan's i-th run in report order (0 <= i < p.runs), made on
// demand so that a sweep of many seeds holds no list of its runs.
func (p sweepPlan) job(i int) job {
	perGroup := p.runs / (len(p.scenarios) * len(p.protocols)) // seeds in the shard
	group, k := i/perGroup, uint64(i%perGroup)
	seed := p.first + p.shard.index + k*p.shard.count
	o := scenarios.Options{Protocol: p.protocols[group%len(p.protocols)], Bug: p.bug, Seed: seed,
		MemoryBudget: p.limits.MemoryBudget, LinearizabilityTimeout: p.limits.LinearizabilityTimeout}
	return job{&p.scenarios[group/len(p.protocols)], o}
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
	results := make([]scenarios.Result, 0, len(jobs))
	jobAt := func(i int) job { return jobs[i] }
	err := streamJobs(ctx, len(jobs), jobAt, workers, simulate, finished, func(_ int, r scenarios.Result) {
		results = append(results, r)
	})
	return results, err
}

// streamJobs is runJobs that keeps nothing, for the n jobs jobAt makes: it
// hands each finished run, shed, to emit, in job order, one call at a
// time, as soon as every earlier job's run has been emitted. A run that
// finishes early
// waits in a reorder buffer, which holds about one run per worker, more
// only while an emit call is slow (it writes a failing run's files); the
// workers never wait for emit. When streamJobs returns, the first `taken`
// jobs have been emitted, taken being how many the workers took before ctx
// was cancelled. A job whose run returned an error is not emitted and
// nothing after it is; the first error is returned.
func streamJobs(ctx context.Context, n int, jobAt func(int) job, workers int, simulate func(job) (scenarios.Result, error), finished func(scenarios.Result), emit func(i int, r scenarios.Result)) error {
	var mu sync.Mutex // guards taken, pending, next and errs
	taken := 0        // jobs 0..taken-1 have been handed to workers
	next := 0         // jobs 0..next-1 have been emitted
	pending := map[int]scenarios.Result{}
	var errs []error
	take := func() (int, bool) {
		mu.Lock()
		defer mu.Unlock()
		if taken == n || ctx.Err() != nil {
			return 0, false
		}
		taken++
		return taken - 1, true
	}
	// pop takes the next run to emit out of the buffer, if it is there.
	pop := func() (int, scenarios.Result, bool) {
		mu.Lock()
		defer mu.Unlock()
		r, ok := pending[next]
		if !ok || len(errs) > 0 {
			return 0, r, false
		}
		delete(pending, next)
		next++
		return next - 1, r, true
	}
	// drain emits what the buffer holds in order. One goroutine drains at
	// a time; another that finds the drain taken leaves its run in the
	// buffer, and the drainer looks again after letting go, so no run is
	// left behind.
	var draining sync.Mutex
	drain := func() {
		for draining.TryLock() {
			for i, r, ok := pop(); ok; i, r, ok = pop() {
				emit(i, r)
			}
			draining.Unlock()
			mu.Lock()
			_, more := pending[next]
			more = more && len(errs) == 0
			mu.Unlock()
			if !more {
				return
			}
		}
	}
	var wg sync.WaitGroup
	for range min(workers, n) {
		wg.Go(func() {
			for i, ok := take(); ok; i, ok = take() {
				r, err := simulate(jobAt(i))
				r.Shed()
				mu.Lock()
				if err != nil {
					errs = append(errs, err)
				} else {
					pending[i] = r
				}
				mu.Unlock()
				if err == nil && finished != nil {
					finished(r)
				}
				drain()
			}
		})
	}
	wg.Wait()
	drain()
	return errors.Join(errs...)
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

// execute runs every job on the plan's workers and reports the runs as
// they finish, in job order, keeping only what the report needs: a row of
// figures per scenario and protocol, the failing runs, and with --junit
// one small record per run. A failing run gets its files (the first
// failures.max of them) and, with --check-determinism, its divergence named
// when its turn to be reported comes; with --json its line is printed
// then. Memory then stays flat however many seeds the sweep has.
func (p sweepPlan) execute(inv invocation, jsonOut bool) (int, error) {
	progress := startMeter(inv, "sweep", p.runs, jsonOut)
	started := time.Now()
	tally := newSweepTally()
	var junit *junitBuilder
	if p.junit != "" {
		junit = newJUnitBuilder(p.junitHeader())
	}
	var enc *json.Encoder
	if jsonOut {
		enc = json.NewEncoder(inv.stdout)
	}
	collector := p.newReportCollector()
	f := p.failures
	var (
		filed, divergences int // failing runs given files; nondeterministic runs replayed
		unshrunk           int // failing runs that an interrupt left unshrunk
		emitErr            error
	)
	emit := func(i int, r scenarios.Result) {
		if emitErr != nil {
			return
		}
		var notes runNotes
		if r.Failed() {
			if r.Verdict == verdictNondeterministic {
				if emitErr = nameDivergence(inv, p.job(i), &r, &divergences); emitErr != nil {
					return
				}
				notes.Nondeterministic = r.Violations[0].Detail
			} else if filed < f.max && !stoppedByBudget(r) {
				filed++
				if f.shrink && inv.ctx.Err() != nil {
					unshrunk++
				}
				runFiles := writeRunFiles(inv, p.job(i), r, f.artifactsDir, f.shrink)
				notes.Artifacts, notes.Shrunk = runFiles.Artifacts, runFiles.Shrunk
			}
		}
		tally.add(r, notes)
		if collector != nil {
			collector.Add(r)
		}
		if junit != nil {
			junit.add(r, notes)
		}
		if enc != nil {
			emitErr = enc.Encode(runLine{r, notes})
		}
	}
	err := streamJobs(inv.ctx, p.runs, p.job, p.workers, p.simulate(inv), progress.finished, emit)
	wall := time.Since(started)
	progress.stop()
	if err == nil {
		err = emitErr
	}
	if err != nil {
		return exitUsage, err
	}
	if !jsonOut {
		tally.print(inv.stdout, sweepHeader{first: p.first, last: p.last, shard: p.shard, workers: p.workers, wall: wall, file: p.file})
	}
	if junit != nil {
		if err := junit.write(p.junit); err != nil {
			return exitUsage, fmt.Errorf("sweep: --junit: %w", err)
		}
	}
	if collector != nil {
		h := sweepHeader{first: p.first, last: p.last, shard: p.shard, workers: p.workers, wall: wall, file: p.file}
		if err := writeReport(p.report, h, tally, collector); err != nil {
			return exitUsage, reportError(err)
		}
	}
	code := failureCode(tally.failures)
	if tally.runs < p.runs {
		if unshrunk > 0 {
			fmt.Fprintln(inv.stderr, "simrun: sweep: interrupted: failing runs not shrunk")
		}
		printInterrupted(inv, jsonOut, tally.runs, p.runs)
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
	// maxEpochs sums the runs' highest epochs (Result.MaxEpoch).
	maxEpochs uint64
	events    uint64
	wall      time.Duration
	// p50s and p99s count the runs' latency percentiles, rounded as the
	// table shows them; the table shows their medians.
	p50s, p99s durationCounts
}

// latencyRounding is how the table rounds latencies.
const latencyRounding = 10 * time.Microsecond

// durationCounts is a multiset of rounded durations: how many runs had
// each. Its size grows with the distinct values, not with the runs.
type durationCounts map[time.Duration]int

func (c durationCounts) add(d time.Duration) { c[d.Round(latencyRounding)]++ }

// median is the middle value (the upper one of an even count), as sorting
// every value and taking the one at len/2 would give: rounding keeps the
// order, so the median of the rounded values is the rounded median.
func (c durationCounts) median() time.Duration {
	total := 0
	values := make([]time.Duration, 0, len(c))
	for d, n := range c {
		values = append(values, d)
		total += n
	}
	slices.Sort(values)
	seen := 0
	for _, d := range values {
		seen += c[d]
		if seen > total/2 {
			return d
		}
	}
	return 0
}

// sweepTally aggregates the runs of a report as they come, in report order
// (scenario, protocol, seed): a row per scenario and protocol, and the
// failing runs with their notes. Passing runs leave only their figures.
type sweepTally struct {
	rows  []*row
	index map[string]*row
	// runs and events count every run added; runTime sums their wall times.
	runs    int
	events  uint64
	runTime time.Duration
	// failures are the failing runs, in order, and notes what the sweep
	// added to each.
	failures []scenarios.Result
	notes    []runNotes
}

func newSweepTally() *sweepTally { return &sweepTally{index: map[string]*row{}} }

// add counts one run.
func (t *sweepTally) add(r scenarios.Result, notes runNotes) {
	key := r.Scenario + "/" + r.Protocol
	agg := t.index[key]
	if agg == nil {
		agg = &row{protocol: r.Protocol, scenario: r.Scenario, p50s: durationCounts{}, p99s: durationCounts{}}
		t.index[key] = agg
		t.rows = append(t.rows, agg)
	}
	agg.runs++
	if r.Failed() {
		agg.failed++
		t.failures = append(t.failures, r)
		t.notes = append(t.notes, notes)
	}
	agg.opsOK += r.OpsOK
	agg.opsUnknown += r.OpsUnknown
	agg.committed += r.Committed
	agg.messages += r.Network.Sent
	agg.leaderChanges += r.LeaderChanges
	agg.maxEpochs += r.MaxEpoch
	agg.events += r.Events
	agg.wall += r.WallTime
	agg.p50s.add(r.LatencyP50)
	agg.p99s.add(r.LatencyP99)
	t.runs++
	t.events += r.Events
	t.runTime += r.WallTime
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
	// incomplete, for a merge, says which runs of the seed range are
	// missing ("" when none is): the verdict cannot then be ok.
	incomplete string
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
// that reproduces it; h.notes, when not nil, holds what the sweep added to
// each result.
func printSweep(out io.Writer, h sweepHeader, results []scenarios.Result) {
	t := newSweepTally()
	for i, r := range results {
		var notes runNotes
		if h.notes != nil {
			notes = h.notes[i]
		}
		t.add(r, notes)
	}
	t.print(out, h)
}

// sweepColumns are the columns of the table, and sweepColumnNotes the
// lines under it that explain them.
var (
	sweepColumns     = []string{"scenario", "protocol", "runs", "failed", "ops ok/run", "unknown/run", "p50", "p99", "msgs/commit", "leader changes/run", "terms/run", "events/s"}
	sweepColumnNotes = []string{
		"(p50, p99: median over runs of each run's operation latency percentiles, in simulated time;",
		" terms/run: mean over runs of the highest term or ballot epoch a server reached)",
	}
)

// cells are the row's cells of the table, as sweepColumns name them.
func (a *row) cells() []string {
	n := float64(a.runs)
	return strings.Split(fmt.Sprintf("%s\t%s\t%d\t%d\t%.0f\t%.1f\t%v\t%v\t%.1f\t%.1f\t%.1f\t%.2fM",
		a.scenario, a.protocol, a.runs, a.failed, float64(a.opsOK)/n, float64(a.opsUnknown)/n,
		a.p50s.median(), a.p99s.median(),
		float64(a.messages)/float64(max(a.committed, 1)), float64(a.leaderChanges)/n,
		float64(a.maxEpochs)/n, float64(a.events)/a.wall.Seconds()/1e6), "\t")
}

// print prints the tally's table, the verdict, and every failing run with
// the command that reproduces it and the files the sweep wrote for it.
func (t *sweepTally) print(out io.Writer, h sweepHeader) {
	fmt.Fprintln(out, h.summary(t.runs, t.events, t.runTime))
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, strings.Join(sweepColumns, "\t")+"\t")
	for _, a := range t.rows {
		fmt.Fprintln(tw, strings.Join(a.cells(), "\t")+"\t")
	}
	tw.Flush()
	for _, note := range sweepColumnNotes {
		fmt.Fprintln(out, note)
	}
	switch {
	case len(t.failures) == 0 && h.incomplete != "":
		fmt.Fprintf(out, "verdict: incomplete, no violation in the runs merged, but %s\n", h.incomplete)
		return
	case len(t.failures) == 0:
		fmt.Fprintln(out, "verdict: ok, no violation")
		return
	case h.incomplete != "":
		fmt.Fprintf(out, "verdict: %d failing runs, and the merge is incomplete: %s\n", len(t.failures), h.incomplete)
	default:
		fmt.Fprintf(out, "verdict: %d failing runs\n", len(t.failures))
	}
	for i, r := range t.failures {
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
		if n := t.notes[i]; n.Artifacts != "" {
			fmt.Fprintf(out, "    artifacts: %s\n", n.Artifacts)
		}
		if n := t.notes[i]; n.Shrunk != "" {
			fmt.Fprintf(out, "    shrunk: %s\n", n.Shrunk)
		}
	}
}
