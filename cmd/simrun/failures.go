package main

import (
	"cmp"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"text/tabwriter"

	"github.com/consim/consim/checker"
	"github.com/consim/consim/scenarios"
	"github.com/consim/consim/scenarios/report"
)

// artifactsEnv names the environment variable that holds the default
// artifacts directory.
const artifactsEnv = "CONSIM_ARTIFACTS"

// defaultArtifactsDir is where failing runs leave their folders when
// neither --artifacts nor $CONSIM_ARTIFACTS says: relative to the working
// directory.
const defaultArtifactsDir = "consim-artifacts"

// artifactsFlag defines --artifacts on fs. Its default is the value of
// $CONSIM_ARTIFACTS when that is set (set and empty: no artifacts), else
// consim-artifacts; "" turns artifacts off.
func artifactsFlag(fs *flag.FlagSet) *string {
	return fs.String("artifacts", artifactsDir(), "write a failing run's artifacts folder (scenario.yaml, README.txt, trace.jsonl, linearizability.html, spacetime.html) under this directory (--artifacts= for none); its default is $"+artifactsEnv+" when that is set, else "+defaultArtifactsDir)
}

// artifactsDir is the default artifacts directory: $CONSIM_ARTIFACTS when
// it is set (set and empty: none), else consim-artifacts.
func artifactsDir() string {
	if env, ok := os.LookupEnv(artifactsEnv); ok {
		return env
	}
	return defaultArtifactsDir
}

// forEach calls do(i) for every i in 0..n-1 on up to workers goroutines
// and returns when every call has.
func forEach(n, workers int, do func(i int)) {
	var mu sync.Mutex
	next := 0
	take := func() (int, bool) {
		mu.Lock()
		defer mu.Unlock()
		if next == n {
			return 0, false
		}
		next++
		return next - 1, true
	}
	var wg sync.WaitGroup
	for range min(max(workers, 1), n) {
		wg.Go(func() {
			for i, ok := take(); ok; i, ok = take() {
				do(i)
			}
		})
	}
	wg.Wait()
}

// shrinkCommand shrinks a failing run to the smallest scenario that fails
// with the same verdict and writes it, with a regression block, as a file
// that drops into a regression corpus. A run that passes is not an error:
// exit 0, nothing written.
func shrinkCommand(inv invocation, args []string) (int, error) {
	stdout := inv.stdout
	fs := newFlagSet("shrink", inv.stderr)
	protocol := protocolFlag(fs)
	bug := fs.String("bug", "", "switch on a catalog bug (see simrun bugs --list)")
	scenarioName := fs.String("scenario", "", "named scenario (see simrun list)")
	scenarioFile := fs.String("scenario-file", "", "scenario file (YAML; see simrun show), instead of --scenario")
	seedText := fs.String("seed", "", "the failing run's seed (required)")
	out := fs.String("out", "", "write the shrunk scenario to this file (default: <scenario>-seed-<N>-shrunk.yaml in the working directory)")
	maxRuns := fs.Int("max-runs", 300, "the most simulations the shrink may make")
	limits := addLimitFlags(fs)
	if err := parse(fs, args, stdout); err != nil {
		return exitUsage, err
	}
	if *scenarioName == "" && *scenarioFile == "" {
		return exitUsage, usagef("shrink: which scenario? give --scenario NAME or --scenario-file F.yaml")
	}
	if *seedText == "" {
		return exitUsage, usagef("shrink: which seed? give --seed N, the failing run's seed")
	}
	seed, err := parseCount(*seedText)
	if err != nil {
		return exitUsage, usagef("shrink: --seed %v", err)
	}
	if *maxRuns < 1 {
		return exitUsage, usagef("shrink: --max-runs: %d, need at least 1", *maxRuns)
	}
	if err := checkProtocolAndBug("shrink", *protocol, *bug); err != nil {
		return exitUsage, err
	}
	s, err := pickScenario(fs, *scenarioName, *scenarioFile)
	if err != nil {
		return exitUsage, err
	}
	o := scenarios.Options{Protocol: *protocol, Bug: *bug, Seed: seed}
	if err := limits.apply(&o); err != nil {
		return exitUsage, err
	}
	if inv.limitMemory {
		limitMemory(1, must(limits.budget()))
	}
	first, err := scenarios.Run(s, o)
	if err != nil {
		return exitUsage, err
	}
	head := describeRun(first)
	if !first.Failed() {
		fmt.Fprintf(stdout, "shrink: %s: nothing to shrink: the run passes (verdict %s)\n", head, first.Verdict)
		return exitOK, nil
	}
	if stoppedByBudget(first) {
		fmt.Fprintf(stdout, "shrink: %s: nothing to shrink: the run reached its memory budget (verdict budget), which is no protocol failure; raise --max-memory to judge it\n", head)
		return exitBudget, nil
	}
	path := *out
	if path == "" {
		path = safeFileName(shrunkName(s, seed)) + ".yaml"
	}
	fmt.Fprintf(stdout, "shrink: %s: verdict %s, shrinking (at most %d runs)\n", head, first.Verdict, *maxRuns)

	// Shrink cannot be stopped part way; an interrupt abandons it.
	type outcome struct {
		shrunk scenarios.Shrunk
		err    error
	}
	done := make(chan outcome, 1)
	go func() {
		shrunk, err := shrinkToFile(s, o, scenarios.ShrinkLimits{MaxRuns: *maxRuns}, path)
		done <- outcome{shrunk, err}
	}()
	var got outcome
	select {
	case <-inv.ctx.Done():
		fmt.Fprintln(stdout, "interrupted: shrink abandoned, nothing written")
		return exitInterrupted, nil
	case got = <-done:
	}
	if got.err != nil {
		return exitUsage, got.err
	}
	sh := got.shrunk
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  verdict kept\t%s\n", sh.Verdict)
	fmt.Fprintf(tw, "  before\t%v\n", sh.Before)
	fmt.Fprintf(tw, "  after\t%v\n", sh.After)
	fmt.Fprintf(tw, "  runs\t%d\n", sh.Runs)
	tw.Flush()
	fmt.Fprintf(stdout, "wrote %s (with a regression block: protocol %s%s, seed %d, expect %s)\n", path, o.Protocol, bugPhrase(o.Bug), seed, sh.Verdict)
	fmt.Fprintf(stdout, "replay with: %s\n", reproduceCommand(sh.Result, path))
	fmt.Fprintf(stdout, "keep it as a regression: copy it into a corpus directory and run %s regress DIR\n", scenarios.Program)
	return exitOK, nil
}

// describeRun names a run: protocol, bug, scenario and seed.
func describeRun(r scenarios.Result) string {
	bug := ""
	if r.Bug != "" {
		bug = " (bug " + r.Bug + ")"
	}
	return fmt.Sprintf("%s on %s seed %d%s", r.Protocol, r.Scenario, r.Seed, bug)
}

func bugPhrase(bug string) string {
	if bug == "" {
		return ""
	}
	return ", bug " + bug
}

// shrunkName is the name of s shrunk at seed: <scenario>-seed-<N>-shrunk.
func shrunkName(s scenarios.Scenario, seed uint64) string {
	return fmt.Sprintf("%s-seed-%d-shrunk", s.Name, seed)
}

// unsafeFileChars matches what a file name made from a scenario, protocol
// or bug name does not keep.
var unsafeFileChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// safeFileName turns name into one path element that is safe in a shell.
func safeFileName(name string) string {
	return cmp.Or(strings.Trim(unsafeFileChars.ReplaceAllString(name, "-"), "-."), "unnamed")
}

// shrinkToFile shrinks the failing run of s under o and writes the
// smallest failing scenario to path as a regression case: the seed, the
// protocol, the bug and the verdict kept.
func shrinkToFile(s scenarios.Scenario, o scenarios.Options, limits scenarios.ShrinkLimits, path string) (scenarios.Shrunk, error) {
	sh, err := scenarios.Shrink(s, o, limits)
	if err != nil {
		return sh, err
	}
	sh.Scenario.Name = shrunkName(s, o.Seed)
	sh.Scenario.Description = fmt.Sprintf("shrunk from %s seed %d on %s%s, verdict %s: %v -> %v",
		s.Name, o.Seed, o.Protocol, bugPhrase(o.Bug), sh.Verdict, sh.Before, sh.After)
	sh.Scenario.Regression = &scenarios.Regression{Protocol: o.Protocol, Bug: o.Bug, Seeds: []uint64{o.Seed}, Expect: sh.Verdict}
	sh.Result.Scenario = sh.Scenario.Name
	data, err := scenarios.MarshalScenario(sh.Scenario)
	if err != nil {
		return sh, err
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return sh, fmt.Errorf("shrink: %w", err)
	}
	return sh, nil
}

// sweepShrunkPath is where sweep --shrink writes the shrunk scenario of
// the failing run r: <protocol>-<scenario>[-<bug>]-seed-<N>-shrunk.yaml in
// the artifacts directory, or in the working directory when artifacts are
// off.
func sweepShrunkPath(artifactsDir string, r scenarios.Result) string {
	parts := []string{r.Protocol, r.Scenario}
	if r.Bug != "" {
		parts = append(parts, r.Bug)
	}
	name := safeFileName(strings.Join(append(parts, fmt.Sprintf("seed-%d-shrunk", r.Seed)), "-")) + ".yaml"
	return filepath.Join(artifactsDir, name)
}

// verdictNondeterministic is the verdict a sweep with --check-determinism
// gives a run whose two runs differ: its other verdict cannot be trusted.
const verdictNondeterministic = "nondeterministic"

// invariantDeterminism names the broken promise: same seed, same run.
const invariantDeterminism = "determinism"

// markNondeterministic turns r into a failure: its second run had the
// fingerprint other.
func markNondeterministic(r *scenarios.Result, other string) {
	v := checker.Violation{
		Invariant: invariantDeterminism,
		Class:     checker.Class(verdictNondeterministic),
		Seed:      r.Seed,
		Detail: fmt.Sprintf("two runs of the seed have fingerprints %s and %s (the first run's verdict: %s)",
			r.Fingerprint, other, r.Verdict),
	}
	r.Violations = append([]checker.Violation{v}, r.Violations...)
	r.Verdict = verdictNondeterministic
}

// maxDivergences is how many nondeterministic runs of a sweep are run
// twice more to name their first divergent event.
const maxDivergences = 3

// nameDivergences runs the first few nondeterministic runs of results
// (those of jobs, in order) twice more with the trace on and adds the
// first divergent event to their violation.
func nameDivergences(inv invocation, jobs []job, results []scenarios.Result) error {
	named := 0
	for i := range results {
		if results[i].Verdict != verdictNondeterministic {
			continue
		}
		if err := nameDivergence(inv, jobs[i], &results[i], &named); err != nil {
			return err
		}
	}
	return nil
}

// nameDivergence replays the nondeterministic run r (of j) twice more with
// the trace on and adds the first divergent event to its violation, unless
// *named runs have been replayed already (maxDivergences); it counts the
// replay in *named.
func nameDivergence(inv invocation, j job, r *scenarios.Result, named *int) error {
	v := &r.Violations[0]
	if *named == maxDivergences {
		v.Detail += fmt.Sprintf("; not replayed (only the first %d such runs are): run %s run --check-determinism on one to see where they diverge", maxDivergences, scenarios.Program)
		return nil
	}
	*named++
	d, err := inv.checkDeterminism(*j.scenario, j.options)
	if err != nil {
		return err
	}
	if d == nil {
		v.Detail += "; two more runs were identical: the difference comes and goes"
		return nil
	}
	v.At = d.First.At
	v.Detail += "; " + d.String()
	return nil
}

// writeRunFiles writes the artifacts folder (when artifactsDir is not "")
// and, with shrink, the shrunk scenario of the failing run r of j, and
// says where they went. A shrink is skipped once ctx is cancelled. What
// could not be written is said on stderr.
func writeRunFiles(inv invocation, j job, r scenarios.Result, artifactsDir string, shrink bool) runNotes {
	var notes runNotes
	var problems []string
	if artifactsDir != "" {
		folder, err := scenarios.WriteArtifacts(artifactsDir, *j.scenario, j.options, r)
		if err == nil {
			_, err = report.WriteRunTimeline(folder, r)
		}
		if err != nil {
			problems = append(problems, err.Error())
		}
		notes.Artifacts = folder
	}
	if shrink && inv.ctx.Err() == nil {
		path := sweepShrunkPath(artifactsDir, r)
		if artifactsDir != "" {
			if err := os.MkdirAll(artifactsDir, 0o755); err != nil {
				problems = append(problems, fmt.Sprintf("shrink: %v", err))
			}
		}
		if _, err := shrinkToFile(*j.scenario, j.options, scenarios.ShrinkLimits{}, path); err != nil {
			problems = append(problems, err.Error())
		} else {
			notes.Shrunk = path
		}
	}
	if len(problems) > 0 {
		fmt.Fprintf(inv.stderr, "simrun: %s: %s\n", describeRun(r), strings.Join(problems, "; "))
	}
	return notes
}
