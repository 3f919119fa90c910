package main

import (
	"flag"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/consim/consim/scenarios"
)

// showCommand prints a named scenario, or a scenario file, as a canonical
// scenario file: every field explicit, ready to edit and run with
// --scenario-file.
func showCommand(args []string, out io.Writer) error {
	fs := newFlagSet("show", out)
	file := fs.String("scenario-file", "", "print this scenario file with every field explicit")
	if err := parseFlags(fs, args, out); err != nil {
		return err
	}
	var s scenarios.Scenario
	var err error
	switch {
	case fs.NArg() > 1:
		return usagef("show: unexpected argument %q", fs.Arg(1))
	case fs.NArg() == 1 && *file != "":
		return usagef("show: give a scenario name or --scenario-file, not both")
	case fs.NArg() == 1:
		if s, err = scenarios.Named(fs.Arg(0)); err != nil {
			return usagef("show: %v", err)
		}
	case *file != "":
		if s, err = scenarios.LoadScenario(*file); err != nil {
			return err
		}
	default:
		return usagef("show: which scenario? give its name (see simrun list) or --scenario-file")
	}
	data, err := scenarios.MarshalScenario(s)
	if err != nil {
		return err
	}
	_, err = out.Write(data)
	return err
}

// pickScenario returns the scenario of a run: the file's when file is
// given, else the named one. Asking for both is a usage error; a bad file
// is an input error (its message names the file, line and field).
func pickScenario(fs *flag.FlagSet, name, file string) (scenarios.Scenario, error) {
	if file == "" {
		s, err := scenarios.Named(name)
		if err != nil {
			return s, usagef("%s: --scenario: %v", fs.Name(), err)
		}
		return s, nil
	}
	if isSet(fs, "scenario") {
		return scenarios.Scenario{}, usagef("%s: give --scenario or --scenario-file, not both", fs.Name())
	}
	return scenarios.LoadScenario(file)
}

// isSet reports whether the command line set the flag.
func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// reproduceCommand is the simrun command line that replays r, whose
// scenario came from file ("" for a named scenario).
func reproduceCommand(r scenarios.Result, file string) string {
	if file == "" {
		return r.ReproduceCommand()
	}
	return fmt.Sprintf("simrun run --protocol %s --scenario-file %s --seed %d", r.Protocol, shellQuote(file), r.Seed)
}

// plainWord matches what a POSIX shell reads as one word without quotes.
var plainWord = regexp.MustCompile(`^[A-Za-z0-9_./:@%+=,-]+$`)

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if plainWord.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
