package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"text/tabwriter"

	"github.com/consim/consim/scenarios"
	"github.com/consim/consim/scenarios/report"
	"github.com/consim/consim/sim"
)

// errHelp means -h was asked for and the usage printed: exit 0.
var errHelp = errors.New("help")

// newFlagSet returns a flag set whose parse errors become usage errors.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parse parses args, which must all be flags, and turns flag errors into
// usage errors.
func parse(fs *flag.FlagSet, args []string, out io.Writer) error {
	if err := parseFlags(fs, args, out); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("%s: unexpected argument %q", fs.Name(), fs.Arg(0))
	}
	return nil
}

// parseFlags parses the flags at the start of args (fs.Args() holds the
// rest) and turns flag errors into usage errors.
func parseFlags(fs *flag.FlagSet, args []string, out io.Writer) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printCommandHelp(out, fs)
			return errHelp
		}
		return usagef("%s: %v", fs.Name(), err)
	}
	return nil
}

func runCommand(inv invocation, args []string) (int, error) {
	stdout := inv.stdout
	fs := newFlagSet("run", inv.stderr)
	protocol := protocolFlag(fs)
	scenarioName := fs.String("scenario", "steady", "named scenario (see simrun list)")
	scenarioFile := fs.String("scenario-file", "", "scenario file (YAML; see simrun show), instead of --scenario")
	seedText := fs.String("seed", "1", "seed (a non-negative integer)")
	jsonOut := fs.Bool("json", false, "print one JSON object instead of the summary")
	tracePath := fs.String("trace", "", "write every event as JSON lines to this file")
	bug := fs.String("bug", "", "switch on a catalog bug (see simrun bugs --list)")
	artifacts := artifactsFlag(fs)
	checkDeterminism := fs.Bool("check-determinism", false, "run the seed twice more, with the trace on, and compare those two runs' traces record by record; runs that differ are a failure (exit 1) that names the first divergent record")
	limits := addLimitFlags(fs)
	if err := parse(fs, args, stdout); err != nil {
		return exitUsage, err
	}
	seed, err := parseCount(*seedText)
	if err != nil {
		return exitUsage, usagef("run: --seed %v", err)
	}
	if err := checkProtocolAndBug("run", *protocol, *bug); err != nil {
		return exitUsage, err
	}
	s, err := pickScenario(fs, *scenarioName, *scenarioFile)
	if err != nil {
		return exitUsage, err
	}
	// The trace costs far more than the run: keep it only when asked.
	// A failure's artifacts folder replays the run with the trace on
	// (and checks that the replay is the same run).
	o := scenarios.Options{Protocol: *protocol, Bug: *bug, Seed: seed, Trace: *tracePath != ""}
	if err := limits.apply(&o); err != nil {
		return exitUsage, err
	}
	if inv.limitMemory {
		limitMemory(1, must(limits.budget()))
	}
	line, interrupted, err := untilInterrupted(inv, func() (runLine, error) {
		return playRun(inv, s, o, *checkDeterminism, *artifacts)
	})
	if interrupted {
		fmt.Fprintf(inv.stderr, "interrupted: run of %s seed %d abandoned, nothing written\n", s.Name, seed)
		return exitInterrupted, nil
	}
	if err != nil {
		return exitUsage, err
	}
	res := line.Result
	if *tracePath != "" {
		if err := writeTrace(*tracePath, res.Trace); err != nil {
			return exitUsage, fmt.Errorf("run: --trace: %w", err)
		}
	}
	if *jsonOut {
		if err := json.NewEncoder(stdout).Encode(line); err != nil {
			return exitUsage, err
		}
	} else {
		printSummary(stdout, res, *scenarioFile)
		if *tracePath != "" {
			fmt.Fprintf(stdout, "  trace           %s (%d records%s)\n", *tracePath, len(res.Trace), truncatedNote(res))
		}
		printRunNotes(stdout, line, *checkDeterminism)
	}
	if line.Nondeterministic != "" {
		return exitViolation, nil
	}
	return failureCode(failedOnly(res)), nil
}

// playRun makes the run of s under o, checks its determinism when asked,
// and writes a failing run's artifacts folder under artifacts (when not
// "").
func playRun(inv invocation, s scenarios.Scenario, o scenarios.Options, checkDeterminism bool, artifacts string) (runLine, error) {
	res, err := inv.runScenario(s, o)
	if err != nil {
		return runLine{}, err
	}
	line := runLine{Result: res}
	if checkDeterminism {
		d, err := inv.checkDeterminism(s, o)
		if err != nil {
			return line, err
		}
		if d != nil {
			line.Nondeterministic = d.String()
		}
	}
	if res.Failed() && artifacts != "" && !stoppedByBudget(res) {
		folder, err := scenarios.WriteArtifacts(artifacts, s, o, res)
		if err == nil {
			_, err = report.WriteRunTimeline(folder, res)
		}
		if err != nil {
			// The violation is the news: say the folder is missing, keep
			// the exit code.
			fmt.Fprintf(inv.stderr, "simrun: run: %v\n", err)
		}
		line.Artifacts = folder
	}
	return line, nil
}

// untilInterrupted calls do on a goroutine of its own and returns what it
// returns, or, as soon as an interrupt cancels inv.ctx, reports that it
// was interrupted: a single World cannot be stopped part way (it is
// single-threaded and never looks at the wall clock or signals), so it is
// abandoned, still running, to the process's exit.
func untilInterrupted[T any](inv invocation, do func() (T, error)) (T, bool, error) {
	type outcome struct {
		value T
		err   error
	}
	done := make(chan outcome, 1)
	go func() {
		value, err := do()
		done <- outcome{value, err}
	}()
	select {
	case <-inv.ctx.Done():
		var zero T
		return zero, true, nil
	case got := <-done:
		return got.value, false, got.err
	}
}

// printRunNotes prints, under a run's summary, where its artifacts went
// and what the determinism check (if checked) found.
func printRunNotes(out io.Writer, line runLine, checked bool) {
	if line.Artifacts != "" {
		fmt.Fprintf(out, "artifacts: %s (README.txt says what failed; open spacetime.html and linearizability.html in a browser)\n", line.Artifacts)
	}
	switch {
	case !checked:
	case line.Nondeterministic != "":
		fmt.Fprintf(out, "nondeterministic: %s\n", line.Nondeterministic)
	default:
		fmt.Fprintln(out, "deterministic: the seed ran twice more, with the trace on: identical traces")
	}
}

// runLine is a run's JSON object: the Result and what simrun adds to it.
type runLine struct {
	scenarios.Result
	runNotes
}

// runNotes is what simrun adds to a run's Result: where its failure's
// files went, and what a determinism check found.
type runNotes struct {
	// Artifacts is the run's artifacts folder ("" when none was written).
	Artifacts string `json:"artifacts,omitempty"`
	// Shrunk is the shrunk scenario file of the run (sweep --shrink).
	Shrunk string `json:"shrunk,omitempty"`
	// Nondeterministic names the first event where two runs of the seed
	// differ (run --check-determinism).
	Nondeterministic string `json:"nondeterministic,omitempty"`
}

func writeTrace(path string, records []sim.Record) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := sim.WriteTrace(f, records); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// printSummary prints r for a human; file is the scenario file the run
// came from ("" for a named scenario).
func printSummary(out io.Writer, r scenarios.Result, file string) {
	fmt.Fprintf(out, "consim: protocol=%s scenario=%s seed=%d\n", r.Protocol, r.Scenario, r.Seed)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	if file != "" {
		fmt.Fprintf(tw, "  scenario file\t%s\n", file)
	}
	fmt.Fprintf(tw, "  ended\t%s\n", endedText(r))
	fmt.Fprintf(tw, "  simulated\t%v (%.0fx real time)\n", r.SimTime, float64(r.SimTime)/float64(max(r.WallTime, 1)))
	fmt.Fprintf(tw, "  events\t%s\n", eventsText(r))
	fmt.Fprintf(tw, "  ops\t%d ok, %d unknown (latency p50 %v, p99 %v)\n", r.OpsOK, r.OpsUnknown, r.LatencyP50, r.LatencyP99)
	fmt.Fprintf(tw, "  committed\t%d entries\n", r.Committed)
	fmt.Fprintf(tw, "  leader changes\t%d\n", r.LeaderChanges)
	fmt.Fprintf(tw, "  network\tsent %d, delivered %d, dropped %d, duplicated %d\n",
		r.Network.Sent, r.Network.Delivered, r.Network.Dropped, r.Network.Duplicated)
	fmt.Fprintf(tw, "  fingerprint\t%s\n", r.Fingerprint)
	fmt.Fprintf(tw, "  verdict\t%s\n", r.Verdict)
	tw.Flush()
	for _, v := range r.Violations {
		fmt.Fprintf(out, "  violation: %v\n", v)
	}
	if r.Failed() {
		fmt.Fprintf(out, "reproduce with: %s\n", reproduceCommand(r, file))
		if r.Swarm {
			fmt.Fprintf(out, "drawn faults as a file: %s\n", drawnCommand(r, file))
		}
	}
}

func listCommand(args []string, out io.Writer) error {
	fs := newFlagSet("list", out)
	if err := parse(fs, args, out); err != nil {
		return err
	}
	fmt.Fprintln(out, "scenarios:")
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	for _, name := range scenarios.Names() {
		s, _ := scenarios.Named(name)
		fmt.Fprintf(tw, "  %s\t%s\n", name, s.Description)
	}
	tw.Flush()
	fmt.Fprintln(out, "protocols:")
	for _, name := range scenarios.ProtocolNames() {
		p, _ := scenarios.LookupProtocol(name)
		fmt.Fprintf(tw, "  %s\t%s\n", name, p.Description)
	}
	tw.Flush()
	for _, name := range scenarios.ProtocolNames() {
		p, _ := scenarios.LookupProtocol(name)
		if len(p.Features) == 0 {
			continue
		}
		fmt.Fprintf(out, "%s features (after plus signs in any order, e.g. %s+%s; reports list them in this order):\n", name, name, p.Features[0].Name)
		for _, f := range p.Features {
			fmt.Fprintf(tw, "  +%s\t%s\n", f.Name, f.Description)
		}
		tw.Flush()
	}
	return nil
}

func sweepCommand(inv invocation, args []string) (int, error) {
	fs := newFlagSet("sweep", inv.stderr)
	protocolList := fs.String("protocol", "raft", "comma-separated protocols: "+strings.Join(scenarios.ProtocolNames(), ", ")+", with features after plus signs (raft,raft+prevote; see simrun list)")
	bug := fs.String("bug", "", "switch on a catalog bug (see simrun bugs --list)")
	scenarioName := fs.String("scenario", "all", "comma-separated named scenarios (majority-partition,lossy; see simrun list), or all")
	scenarioFile := fs.String("scenario-file", "", "scenario file (YAML; see simrun show), instead of --scenario")
	seedsText := fs.String("seeds", "1:100", "seed range A:B (inclusive)")
	shardText := fs.String("shard", "", "run only shard I of N (0 <= I < N): the seeds S of the range A:B (--seeds) with (S - A) mod N = I; merge the shards' --json output with simrun merge")
	workers := fs.Int("workers", runtime.GOMAXPROCS(0), "parallel workers (one World each); the default, GOMAXPROCS, follows a container's CPU limit")
	jsonOut := fs.Bool("json", false, "print one JSON object per run, a line each")
	artifacts := artifactsFlag(fs)
	maxArtifacts := fs.Int("max-artifacts", 10, "write artifacts folders (and with --shrink, shrunk scenarios) for at most this many failing runs, the first in report order")
	shrink := fs.Bool("shrink", false, "shrink the failing runs (at most --max-artifacts of them) and write each smallest failing scenario, with a regression block, as <protocol>-<scenario>[-<bug>]-seed-<N>-shrunk.yaml in the artifacts directory (the working directory when artifacts are off)")
	checkDeterminism := fs.Bool("check-determinism", false, "run every seed twice and compare the fingerprints; a seed whose runs differ is a failing run (verdict nondeterministic), and the first few are replayed to name the first divergent event")
	junit := fs.String("junit", "", "write a JUnit XML report to this file: a testcase per protocol, scenario and seed, a testsuite per protocol and scenario")
	reportFile := fs.String("report", "", "write an HTML report to this file: the table, the failing runs linked to their artifacts, per scenario an availability timeline with the fault windows shaded, a latency CDF per protocol (one self-contained page)")
	limits := addLimitFlags(fs)
	if err := parse(fs, args, inv.stdout); err != nil {
		return exitUsage, err
	}
	var plan0 scenarios.Options // the limits every run of the plan gets
	if err := limits.apply(&plan0); err != nil {
		return exitUsage, err
	}
	if *scenarioFile != "" && isSet(fs, "scenario") {
		return exitUsage, usagef("sweep: give --scenario or --scenario-file, not both")
	}
	if *maxArtifacts < 0 {
		return exitUsage, usagef("sweep: --max-artifacts: %d, need 0 or more", *maxArtifacts)
	}
	sh, err := parseShard(*shardText)
	if err != nil {
		return exitUsage, usagef("sweep: --shard: %v", err)
	}
	plan, err := newSweepPlan(*protocolList, *scenarioName, *scenarioFile, *seedsText, sh, *workers)
	if err == nil {
		if err = checkBug(*bug, plan.protocols); err != nil {
			err = usagef("sweep: --bug: %v", err)
		}
		plan.bug = *bug
	}
	if err != nil {
		return exitUsage, err
	}
	plan.failures = failureOptions{artifactsDir: *artifacts, max: *maxArtifacts, shrink: *shrink}
	plan.checkDeterminism = *checkDeterminism
	plan.junit = *junit
	plan.report = *reportFile
	if err := checkReportPath(plan.report); err != nil {
		return exitUsage, err
	}
	plan.limits = plan0
	if inv.limitMemory {
		limitMemory(plan.workers, must(limits.budget()))
	}
	return plan.execute(inv, *jsonOut)
}

func defaultSweep(inv invocation) (int, error) {
	// Baselines (replication without consensus) fail under faults by
	// design; the default sweep judges the consensus protocols.
	var consensus []string
	for _, name := range scenarios.ProtocolNames() {
		if p, _ := scenarios.LookupProtocol(name); !p.Baseline {
			consensus = append(consensus, name)
		}
	}
	plan, err := newSweepPlan(strings.Join(consensus, ","), "all", "", "1:20", wholeRange, runtime.GOMAXPROCS(0))
	if err != nil {
		return exitUsage, err
	}
	plan.failures = failureOptions{artifactsDir: artifactsDir(), max: 10}
	fmt.Fprintf(inv.stdout, "consim default sweep: every scenario, protocols %s, seeds 1:20 (see simrun -h)\n",
		strings.Join(plan.protocols, ","))
	return plan.execute(inv, false)
}

// protocolFlag defines --protocol, one protocol, for run and shrink.
func protocolFlag(fs *flag.FlagSet) *string {
	return fs.String("protocol", "raft", "protocol: "+strings.Join(scenarios.ProtocolNames(), ", ")+
		", with features after plus signs (raft+prevote; see simrun list)")
}

// checkProtocolAndBug checks --protocol and --bug of command cmd: a known
// protocol, and a catalog bug (if any) that runs on it.
func checkProtocolAndBug(cmd, protocol, bug string) error {
	if _, err := scenarios.LookupProtocol(protocol); err != nil {
		return usagef("%s: --protocol: %v", cmd, err)
	}
	if err := checkBug(bug, []string{protocol}); err != nil {
		return usagef("%s: --bug: %v", cmd, err)
	}
	return nil
}

// checkBug checks that bug (if any) is a catalog entry that breaks every
// protocol of the run.
func checkBug(bug string, protocols []string) error {
	if bug == "" {
		return nil
	}
	b, err := scenarios.LookupBug(bug)
	if err != nil {
		return err
	}
	for _, p := range protocols {
		if err := b.RunsOn(p); err != nil {
			return err
		}
	}
	return nil
}
