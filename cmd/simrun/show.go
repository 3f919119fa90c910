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
	seedText := fs.String("seed", "", "for a swarm scenario: print the faults drawn for this seed (a file that replays the run without swarm mode)")
	// The name may come before the flags (show swarm --seed 7) or after.
	var name string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	if err := parseFlags(fs, args, out); err != nil {
		return err
	}
	rest := fs.Args()
	if name == "" && len(rest) > 0 {
		name, rest = rest[0], rest[1:]
	}
	var s scenarios.Scenario
	var err error
	switch {
	case len(rest) > 0:
		return usagef("show: unexpected argument %q", rest[0])
	case name != "" && *file != "":
		return usagef("show: give a scenario name or --scenario-file, not both")
	case name != "":
		if s, err = scenarios.Named(name); err != nil {
			return usagef("show: %v", err)
		}
	case *file != "":
		if s, err = scenarios.LoadScenario(*file); err != nil {
			return err
		}
	default:
		return usagef("show: which scenario? give its name (see simrun list) or --scenario-file")
	}
	if *seedText != "" {
		seed, err := parseCount(*seedText)
		if err != nil {
			return usagef("show: --seed %v", err)
		}
		s = scenarios.Draw(s, seed)
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
	bug := ""
	if r.Bug != "" {
		bug = " --bug " + r.Bug
	}
	return fmt.Sprintf("%s run --protocol %s%s --scenario-file %s --seed %d", scenarios.Program, r.Protocol, bug, shellQuote(file), r.Seed) + r.LimitFlags()
}

// drawnCommand is, for a swarm run, the command that writes its drawn
// faults as a scenario file: a regression someone can commit.
func drawnCommand(r scenarios.Result, file string) string {
	source := r.Scenario
	if file != "" {
		source = "--scenario-file " + shellQuote(file)
	}
	name := r.Played.Name
	if name == "" {
		// A merged run of a scenario file merge was not given: name the
		// file as scenarios.Draw names the drawn scenario.
		name = fmt.Sprintf("%s-seed-%d", r.Scenario, r.Seed)
	}
	return fmt.Sprintf("%s show %s --seed %d > %s.yaml", scenarios.Program, source, r.Seed, name)
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
