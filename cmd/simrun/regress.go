package main

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/consim/consim/scenarios"
)

// regressLine is one case's JSON object (regress --json).
type regressLine struct {
	scenarios.RegressCase
	// Passed says the case gave its expected verdict.
	Passed bool `json:"passed"`
	// Got is the verdict the replay gave.
	Got string `json:"got"`
	// Reproduce is the command that replays the case.
	Reproduce string `json:"reproduce"`
}

// regressCommand replays a regression corpus: every *.yaml file of DIR,
// each a scenario with a regression block (protocol, bug, seeds, expected
// verdict). It prints a line per case and the corpus's summary; exit 0
// when every case gave its expected verdict, 1 when one did not, 2 when the
// corpus cannot be read.
func regressCommand(inv invocation, args []string) (int, error) {
	fs := newFlagSet("regress", inv.stderr)
	jsonOut := fs.Bool("json", false, "print one JSON object per case (the summary goes to stderr)")
	// The directory may come before the flags or after them.
	if err := parseFlags(fs, args, inv.stdout); err != nil {
		return exitUsage, err
	}
	rest := fs.Args()
	if len(rest) == 0 {
		return exitUsage, usagef("regress: which corpus? give a directory of scenario files with regression blocks, such as scenarios/testdata/regress")
	}
	dir := rest[0]
	if err := parse(fs, rest[1:], inv.stdout); err != nil {
		return exitUsage, err
	}
	cases, err := scenarios.Regress(dir)
	if err != nil {
		return exitUsage, fmt.Errorf("regress: %w", err)
	}
	failed := false
	if *jsonOut {
		enc := json.NewEncoder(inv.stdout)
		for _, c := range cases {
			if err := enc.Encode(regressLine{RegressCase: c, Passed: c.Passed(), Got: c.Result.Verdict, Reproduce: c.Command()}); err != nil {
				return exitUsage, err
			}
		}
	} else {
		tw := tabwriter.NewWriter(inv.stdout, 0, 0, 2, ' ', 0)
		for _, c := range cases {
			status := "ok"
			if !c.Passed() {
				status = "FAIL"
			}
			fmt.Fprintf(tw, "%s\t%s\tseed %d\texpected %s\tgot %s\n", status, c.File, c.Seed, c.Expect, c.Result.Verdict)
		}
		tw.Flush()
	}
	summaryOut := inv.stdout
	if *jsonOut {
		summaryOut = inv.stderr
	}
	fmt.Fprintln(summaryOut, scenarios.RegressSummary(cases))
	for _, c := range cases {
		failed = failed || !c.Passed()
	}
	if failed {
		return exitViolation, nil
	}
	return exitOK, nil
}
