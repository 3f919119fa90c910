// Command simrun runs consim simulations: one seed of a scenario (run), many
// seeds on parallel workers (sweep), the reports of sharded sweeps merged
// into one (merge), the list of named scenarios (list), or a scenario as a
// YAML file (show). A scenario is a named one (--scenario) or a file of one
// (--scenario-file). With no arguments it runs a short default sweep of
// every scenario.
//
// Exit codes: 0 every check held, 1 a violation was found, 2 bad usage or
// input, 130 a sweep was interrupted before it found a violation.
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
	"strings"
	"syscall"
)

const usage = `usage:
  simrun                      a short default sweep of every scenario and protocol
  simrun run   [--protocol P] [--bug NAME] [--scenario NAME | --scenario-file F.yaml] [--seed N] [--json] [--trace FILE]
  simrun sweep [--protocol P[,P...]] [--bug NAME] [--scenario NAME|all | --scenario-file F.yaml] [--seeds A:B] [--shard I/N] [--workers K] [--json]
  simrun merge [--seeds A:B] [--scenario-file F.yaml] [--json] FILE... | -   one report from the --json output of sweep shards
  simrun show  NAME | --scenario-file F.yaml   a scenario as a file, every field explicit
  simrun list                 the named scenarios and protocols
  simrun bugs  [--seeds A:B] [--bug NAME] [--json | --markdown] [--list]   hunt the bug catalog
run 'simrun CMD -h' for the flags of a command.

A sweep on a terminal shows its progress on stderr. An interrupt (Ctrl-C,
SIGTERM) stops a sweep or bug hunt cleanly: the runs under way finish, the
report covers the finished runs and ends with "interrupted: N of M runs done"
(on stderr with --json); a second interrupt stops at once.

exit codes: 0 every check held, 1 a violation was found, 2 bad usage or input
(merge: also runs missing from its inputs), 130 interrupted before a violation
was found.`

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
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first interrupt, give the signals back to the
		// runtime: a second one kills the process at once.
		<-ctx.Done()
		stop()
	}()
	code := invocation{ctx: ctx, stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr}.run(os.Args[1:])
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
		code, err = runCommand(args[1:], stdout, stderr)
	case args[0] == "sweep":
		code, err = sweepCommand(inv, args[1:])
	case args[0] == "merge":
		code, err = mergeCommand(inv, args[1:])
	case args[0] == "bugs":
		code, err = bugsCommand(inv, args[1:])
	case args[0] == "list":
		err = listCommand(args[1:], stdout)
	case args[0] == "show":
		err = showCommand(args[1:], stdout)
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
