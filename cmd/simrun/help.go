package main

import (
	"flag"
	"fmt"
	"io"
)

// commandHelp is what `simrun CMD -h` says before the flags: the command
// line, its arguments, and what the command does.
var commandHelp = map[string]string{
	"run": `simrun run [flags]
Runs one seed of one scenario (--scenario NAME or --scenario-file F.yaml) and
prints its summary (or, with --json, one JSON object). A failing run writes an
artifacts folder. Exit 0 when every check held, 1 on a violation.`,
	"sweep": `simrun sweep [flags]
Runs every protocol x scenario x seed of the flags on parallel workers and
prints a table per scenario and protocol, the verdict, and every failing run
with the command that reproduces it.`,
	"shrink": `simrun shrink [flags] (--scenario NAME | --scenario-file F.yaml) --seed N
Shrinks a failing run to the smallest scenario that fails with the same
verdict, and writes it with a regression block.`,
	"regress": `simrun regress [--json] DIR
Replays the regression corpus DIR: every *.yaml file of DIR is a scenario with
a regression block (protocol, bug, seeds, expected verdict), such as
scenarios/testdata/regress. Prints a line per case and a summary; exit 1 when a
case did not give its expected verdict, 2 when DIR cannot be read.`,
	"merge": `simrun merge [flags] FILE... | -
Merges the --json output of a sweep's shards (one FILE each, - for stdin) into
the report of the whole sweep. Runs missing from the seed range make the
verdict incomplete (exit 2).`,
	"show": `simrun show NAME | --scenario-file F.yaml [--seed N]
Prints a named scenario (see simrun list), or a scenario file, as a scenario
file with every field explicit. docs/scenario-file.md describes every field.`,
	"list": `simrun list
Lists the named scenarios, the protocols and each protocol's features. It takes
no flags and no arguments.`,
	"bugs": `simrun bugs [flags]
Hunts the bug catalog: runs every deliberately broken variant on its scenarios
and reports which checker caught it first, on which seed, and how often; the
correct protocols run on the same seeds and must show no violation.`,
	"version": `simrun version (or simrun --version)
Prints the module version and the VCS revision this binary was built from.`,
}

// printCommandHelp prints fs's command line, what it does, and its flags.
func printCommandHelp(out io.Writer, fs *flag.FlagSet) {
	help, ok := commandHelp[fs.Name()]
	if !ok {
		help = "simrun " + fs.Name() + " [flags]"
	}
	fmt.Fprintf(out, "usage: %s\n", help)
	flags := 0
	fs.VisitAll(func(*flag.Flag) { flags++ })
	if flags == 0 {
		return
	}
	fmt.Fprintln(out, "flags:")
	fs.SetOutput(out)
	fs.PrintDefaults()
}
