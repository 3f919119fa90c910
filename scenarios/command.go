package scenarios

import "fmt"

// Program is the command that the command lines this package prints start
// with (Result.ReproduceCommand, RegressCase.Command, an artifacts folder's
// README.txt): "simrun", the name on PATH, unless a program sets it.
// cmd/simrun sets it once, before any run, to the command it was invoked as
// ("./simrun", "go run github.com/consim/consim/cmd/simrun"), so that its
// reproduce lines paste back into the same shell. It must not change while
// runs are under way: it is read from many goroutines.
var Program = "simrun"

// runCommandLine is the command line that runs seed of the scenario given
// by source ("--scenario NAME" or "--scenario-file PATH") on protocol, with
// bug (if any) switched on.
func runCommandLine(protocol, bug, source string, seed uint64) string {
	if bug != "" {
		bug = " --bug " + bug
	}
	return fmt.Sprintf("%s run --protocol %s%s %s --seed %d", Program, protocol, bug, source, seed)
}
