// Command simrun runs consim simulations: one seed of a scenario (run), many
// seeds on parallel workers (sweep), the reports of sharded sweeps merged
// into one (merge), a failing run shrunk to a small scenario file (shrink),
// a regression corpus replayed (regress), the bug catalog hunted (bugs),
// the list of named scenarios (list), or a scenario as a YAML file (show).
// A scenario is a named one (--scenario) or a file of one
// (--scenario-file). With no arguments it runs a short default sweep of
// every scenario.
//
// A failing run leaves an artifacts folder (scenarios.WriteArtifacts)
// under --artifacts DIR: by default $CONSIM_ARTIFACTS, else
// ./consim-artifacts.
//
// Exit codes: 0 every check held, 1 a violation was found, 2 bad usage or
// input, 3 a run reached its memory budget, 130 a sweep was interrupted
// before it found a violation.
//
// Parallelism, wall time and signals live here, above the Worlds: nothing
// in this package reaches inside a run.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/consim/consim/scenarios"
)

const usage = `usage:
  simrun                 a short default sweep of every scenario and protocol
  simrun run     [--protocol P] [--bug NAME] [--scenario NAME | --scenario-file F.yaml] [--seed N] [--json] [--trace FILE]
                 [--artifacts DIR] [--check-determinism] [--max-memory SIZE] [--linearizability-timeout D]
  simrun sweep   [--protocol P[,P...]] [--bug NAME] [--scenario NAME[,NAME...]|all | --scenario-file F.yaml] [--seeds A:B] [--shard I/N]
                 [--workers K] [--json] [--artifacts DIR] [--max-artifacts K] [--shrink] [--check-determinism] [--junit FILE]
                 [--max-memory SIZE] [--linearizability-timeout D]
  simrun shrink  [--protocol P] [--bug NAME] (--scenario NAME | --scenario-file F.yaml) --seed N [--out FILE] [--max-runs K]
                 [--max-memory SIZE] [--linearizability-timeout D]
                 shrink a failing run to a small scenario file with a regression block
  simrun regress [--json] DIR   replay the regression corpus DIR (every *.yaml with a regression block)
  simrun merge   [--seeds A:B] [--scenario-file F.yaml] [--json] FILE... | -   one report from the --json output of sweep shards
  simrun show    NAME | --scenario-file F.yaml   a scenario as a file, every field explicit
  simrun list    the named scenarios and protocols
  simrun bugs    [--seeds A:B] [--bug NAME] [--json | --markdown] [--shrink-runs K] [--list]   hunt the bug catalog
  simrun version (or --version)   the module version and VCS revision this binary was built from
run 'simrun CMD -h' for the flags of a command.

A failing run (run; sweep: the first --max-artifacts failing runs, 10 by
default) writes a folder under the artifacts directory and prints its path:
scenario.yaml (the scenario as played), README.txt (what failed, how to
reproduce it), trace.jsonl, and linearizability.html and spacetime.html to
open in a browser. The directory is --artifacts DIR, by default the value of
$CONSIM_ARTIFACTS (empty: none), else consim-artifacts in the working
directory; --artifacts= writes none.

shrink writes <scenario>-seed-<N>-shrunk.yaml in the working directory (or
--out); sweep --shrink writes <protocol>-<scenario>[-<bug>]-seed-<N>-shrunk.yaml
in the artifacts directory (the working directory when artifacts are off).
Either file is a regression case: put it in a corpus directory and run
simrun regress DIR.

A sweep on a terminal shows its progress on stderr. An interrupt (Ctrl-C,
SIGTERM) stops a sweep or bug hunt cleanly: the runs under way finish, the
report (and the --junit file) covers the finished runs and ends with
"interrupted: N of M runs done" (on stderr with --json); a second interrupt
stops at once. An interrupt abandons a run or a shrink at once: nothing is
written, exit 130.

exit codes: 0 every check held (shrink: also a run that passes, nothing to
shrink), 1 a violation was found (run and sweep: also two runs of a seed that
differ, with --check-determinism; regress: a case that did not give its
expected verdict), 2 bad usage or input (merge: also runs missing from its
inputs; regress: an unreadable corpus; a scenario beyond a limit, see the
README's Limits), 3 a run reached its memory budget (--max-memory, default
512MiB; verdict budget: neither a pass nor a violation; sweep and merge:
every failing run did), 130 interrupted before a violation was found.`

// Exit codes.
const (
	exitOK        = 0
	exitViolation = 1
	exitUsage     = 2
	// exitInterrupted is a sweep stopped by an interrupt before any of its
	// finished runs failed (128 + SIGINT, as shells report it).
	exitInterrupted = 130
)

// usageError is bad input from the user: exit 2 with the message and usage.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// invocation is what one command line runs with: the context an interrupt
// cancels, the standard streams, and who else hears of finished runs.
type invocation struct {
	ctx            context.Context
	stdin          io.Reader
	stdout, stderr io.Writer
	// finished, when not nil, is called after each run of a sweep or bug
	// hunt with the number of runs finished so far, from the worker
	// goroutine that ran it. Tests use it to interrupt a sweep part way.
	finished func(done int)
	// simulate, when not nil, stands in for scenarios.Run in run and
	// sweep, and diverge for scenarios.CheckDeterminism: tests use them
	// to play a protocol that is not deterministic.
	simulate func(scenarios.Scenario, scenarios.Options) (scenarios.Result, error)
	diverge  func(scenarios.Scenario, scenarios.Options) (*scenarios.Divergence, error)
	// limitMemory sets the process's memory limit from the runs' budget
	// (see limitMemory); main sets it, tests leave their process alone.
	limitMemory bool
}

// runScenario runs s under o, as scenarios.Run (or the simulate hook) does,
// and times it: the wall time is measured here, outside the simulated
// world, for the figures (events/s, times real time) only.
func (inv invocation) runScenario(s scenarios.Scenario, o scenarios.Options) (scenarios.Result, error) {
	if inv.simulate != nil {
		return inv.simulate(s, o)
	}
	started := time.Now()
	res, err := scenarios.Run(s, o)
	res.WallTime = time.Since(started)
	return res, err
}

// checkDeterminism runs s under o twice and compares the traces, as
// scenarios.CheckDeterminism (or the diverge hook) does.
func (inv invocation) checkDeterminism(s scenarios.Scenario, o scenarios.Options) (*scenarios.Divergence, error) {
	if inv.diverge != nil {
		return inv.diverge(s, o)
	}
	return scenarios.CheckDeterminism(s, o)
}

// gcPercent is the garbage collector's GOGC that simrun runs with unless
// the environment sets GOGC. A run allocates a few MB and keeps little of
// it (a World's live heap is a few MB at most), so the default of 100
// collects a few times per run; at 400 the collector costs about a fifth
// less CPU per run, for a heap up to five times the live one: tens of MB
// per worker. It matters most with a worker on every core, where the
// collector has no idle core to run on.
const gcPercent = 400

// tuneGC sets gcPercent unless $GOGC says otherwise.
func tuneGC() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(gcPercent)
	}
}

func main() {
	tuneGC()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first interrupt, give the signals back to the
		// runtime: a second one kills the process at once.
		<-ctx.Done()
		stop()
	}()
	scenarios.Program = programName(os.Args[0], mainPackage())
	code := invocation{ctx: ctx, stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, limitMemory: true}.run(os.Args[1:])
	stop()
	os.Exit(code)
}

// simrun runs the command line args without interrupts or stdin and
// returns the exit code.
func simrun(args []string, stdout, stderr io.Writer) int {
	return invocation{ctx: context.Background(), stdin: strings.NewReader(""), stdout: stdout, stderr: stderr}.run(args)
}

// run runs the command line args and returns the exit code.
func (inv invocation) run(args []string) int {
	stdout, stderr := inv.stdout, inv.stderr
	var err error
	code := exitOK
	switch {
	case len(args) == 0:
		code, err = defaultSweep(inv)
	case args[0] == "run":
		code, err = runCommand(inv, args[1:])
	case args[0] == "sweep":
		code, err = sweepCommand(inv, args[1:])
	case args[0] == "shrink":
		code, err = shrinkCommand(inv, args[1:])
	case args[0] == "regress":
		code, err = regressCommand(inv, args[1:])
	case args[0] == "merge":
		code, err = mergeCommand(inv, args[1:])
	case args[0] == "bugs":
		code, err = bugsCommand(inv, args[1:])
	case args[0] == "list":
		err = listCommand(args[1:], stdout)
	case args[0] == "show":
		err = showCommand(args[1:], stdout)
	case args[0] == "version" || args[0] == "--version" || args[0] == "-version":
		err = versionCommand(args[1:], stdout)
	case args[0] == "-h" || args[0] == "--help" || args[0] == "help":
		fmt.Fprintln(stdout, usage)
		return exitOK
	default:
		err = usagef("unknown command %q", args[0])
	}
	var ue usageError
	switch {
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "simrun: %v\n%s\n", err, usage)
		return exitUsage
	case errors.Is(err, errHelp):
		return exitOK
	case err != nil:
		fmt.Fprintf(stderr, "simrun: %v\n", err)
		return exitUsage
	}
	return code
}
