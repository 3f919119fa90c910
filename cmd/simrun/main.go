// Command simrun runs consim simulations: one seed of a scenario (run), many
// seeds on parallel workers (sweep), the list of named scenarios (list), or
// a scenario as a YAML file (show). A scenario is a named one (--scenario)
// or a file of one (--scenario-file). With no arguments it runs a short
// default sweep of every scenario.
//
// Exit codes: 0 every check held, 1 a violation was found, 2 bad usage or
// input.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
)

const usage = `usage:
  simrun                      a short default sweep of every scenario and protocol
  simrun run   [--protocol P] [--bug NAME] [--scenario NAME | --scenario-file F.yaml] [--seed N] [--json] [--trace FILE]
  simrun sweep [--protocol P[,P...]] [--bug NAME] [--scenario NAME|all | --scenario-file F.yaml] [--seeds A:B] [--workers K] [--json]
  simrun show  NAME | --scenario-file F.yaml   a scenario as a file, every field explicit
  simrun list                 the named scenarios and protocols
  simrun bugs  [--seeds A:B] [--bug NAME] [--json | --markdown] [--list]   hunt the bug catalog
run 'simrun CMD -h' for the flags of a command.`

// Exit codes.
const (
	exitOK        = 0
	exitViolation = 1
	exitUsage     = 2
)

// usageError is bad input from the user: exit 2 with the message and usage.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

func main() {
	os.Exit(simrun(os.Args[1:], os.Stdout, os.Stderr))
}

// simrun runs the command line args and returns the exit code.
func simrun(args []string, stdout, stderr io.Writer) int {
	var err error
	code := exitOK
	switch {
	case len(args) == 0:
		code, err = defaultSweep(stdout, stderr)
	case args[0] == "run":
		code, err = runCommand(args[1:], stdout, stderr)
	case args[0] == "sweep":
		code, err = sweepCommand(args[1:], stdout, stderr)
	case args[0] == "bugs":
		code, err = bugsCommand(args[1:], stdout, stderr)
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
