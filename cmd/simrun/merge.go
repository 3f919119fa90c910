package main

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/bits"
	"os"
	"slices"
	"strings"

	"github.com/consim/consim/scenarios"
)

// mergedRun is one run read from a shard's output.
type mergedRun struct {
	result scenarios.Result
	// notes are where the sweep put the run's artifacts and shrunk
	// scenario, as its JSON line says.
	notes runNotes
	// line is the JSON line as read, without its line ending: merge
	// --json prints it unchanged.
	line []byte
	// where is the file and line it came from, for error messages.
	where string
}

// runKey identifies a run: no two lines of the merged shards may share it.
type runKey struct {
	protocol, bug, scenario string
	seed                    uint64
}

func (k runKey) String() string {
	bug := ""
	if k.bug != "" {
		bug = ", bug " + k.bug
	}
	return fmt.Sprintf("protocol %s%s, scenario %s, seed %d", k.protocol, bug, k.scenario, k.seed)
}

// mergeCommand reads the JSON lines of the shards of a sweep (sweep --json
// --shard I/N, one file each, or - for stdin) and prints the report of the
// whole sweep: the unsharded sweep's table, verdict, failing seeds and
// reproduce commands (with the artifacts folders and shrunk scenarios the
// shards wrote; merge writes none), or with --json the runs' lines in the
// unsharded order. Exit 1 if a merged run failed; else 2 if runs are missing from
// the seed range (or the inputs are bad), else 0.
func mergeCommand(inv invocation, args []string) (int, error) {
	fs := newFlagSet("merge", inv.stderr)
	seedsText := fs.String("seeds", "", "the sweep's seed range A:B, to check that no run is missing (default: the lowest to the highest seed read)")
	scenarioFile := fs.String("scenario-file", "", "the scenario file the shards ran, for the reproduce commands (without it they name the scenario)")
	jsonOut := fs.Bool("json", false, "print the runs' JSON lines in the unsharded sweep's order instead of the report")
	reportFile := fs.String("report", "", "write the merged sweep's HTML report to this file, as sweep --report does (artifacts paths in the JSON lines are taken relative to the working directory)")
	inputs, err := parseMergeArgs(fs, args, inv.stdout)
	if err != nil {
		return exitUsage, err
	}
	if err := checkReportPath(*reportFile); err != nil {
		return exitUsage, err
	}
	var seeds *[2]uint64
	if *seedsText != "" {
		first, last, err := parseSeedRange(*seedsText)
		if err != nil {
			return exitUsage, usagef("merge: --seeds: %v", err)
		}
		seeds = &[2]uint64{first, last}
	}
	var fileScenario *scenarios.Scenario
	if *scenarioFile != "" {
		s, err := scenarios.LoadScenario(*scenarioFile)
		if err != nil {
			return exitUsage, err
		}
		fileScenario = &s
	}
	runs, err := readShards(inv.stdin, inputs)
	if err == nil {
		err = checkRuns(runs, fileScenario, *scenarioFile)
	}
	if err != nil {
		return exitUsage, err
	}
	slices.SortFunc(runs, func(a, b mergedRun) int { return compareRuns(a.result, b.result) })
	first, last, err := seedRange(runs, seeds)
	if err != nil {
		return exitUsage, err
	}

	results := make([]scenarios.Result, len(runs))
	notes := make([]runNotes, len(runs))
	for i, r := range runs {
		results[i], notes[i] = r.result, r.notes
	}
	restorePlayed(results, fileScenario)
	missing := missingRuns(results, first, last)
	if *jsonOut {
		for _, r := range runs {
			if _, err := fmt.Fprintf(inv.stdout, "%s\n", r.line); err != nil {
				return exitUsage, err
			}
		}
	} else {
		printSweep(inv.stdout, sweepHeader{first: first, last: last, shard: wholeRange, inputs: len(inputs), file: *scenarioFile, notes: notes, incomplete: missing}, results)
		if *scenarioFile == "" {
			noteFileScenarios(inv.stdout, results)
		}
	}
	if *reportFile != "" {
		h := sweepHeader{first: first, last: last, shard: wholeRange, inputs: len(inputs), file: *scenarioFile, notes: notes, incomplete: missing}
		if err := writeMergedReport(*reportFile, h, results, fileScenario); err != nil {
			return exitUsage, fmt.Errorf("merge: --report: %w", err)
		}
	}
	code := failureCode(slices.DeleteFunc(slices.Clone(results), func(r scenarios.Result) bool { return !r.Failed() }))
	if missing != "" {
		if *jsonOut {
			// The report's verdict says it; beside JSON lines, stderr does.
			fmt.Fprintf(inv.stderr, "incomplete: %s\n", missing)
		}
		if code == exitOK {
			code = exitUsage
		}
	}
	return code, nil
}

// restorePlayed gives each failing swarm run the scenario it played (its
// drawn faults), which the JSON lines leave out and the report's "as a
// file" command names, when the scenario is known: a named one, or the
// --scenario-file one (fileScenario, nil without it).
func restorePlayed(results []scenarios.Result, fileScenario *scenarios.Scenario) {
	for i := range results {
		r := &results[i]
		if !r.Swarm || !r.Failed() {
			continue
		}
		s, err := scenarios.Named(r.Scenario)
		if fileScenario != nil {
			s, err = *fileScenario, nil
		}
		if err == nil {
			r.Played = scenarios.Draw(s, r.Seed)
		}
	}
}

// seedRange is the sweep's seed range: seeds (--seeds) when given, which
// must then hold every run's seed, else the lowest to the highest seed of
// the runs.
func seedRange(runs []mergedRun, seeds *[2]uint64) (uint64, uint64, error) {
	if seeds != nil {
		for _, r := range runs {
			if r.result.Seed < seeds[0] || r.result.Seed > seeds[1] {
				return 0, 0, fmt.Errorf("merge: %s: seed %d is outside --seeds %d:%d", r.where, r.result.Seed, seeds[0], seeds[1])
			}
		}
		return seeds[0], seeds[1], nil
	}
	first, last := runs[0].result.Seed, runs[0].result.Seed
	for _, r := range runs {
		first, last = min(first, r.result.Seed), max(last, r.result.Seed)
	}
	return first, last, nil
}

// parseMergeArgs parses merge's flags, which may come before, between or
// after the input files ("--" ends the flags), and returns the inputs.
func parseMergeArgs(fs *flag.FlagSet, args []string, out io.Writer) ([]string, error) {
	var inputs []string
	for len(args) > 0 {
		if err := parseFlags(fs, args, out); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) < len(args) && args[len(args)-len(rest)-1] == "--" {
			inputs = append(inputs, rest...)
			break
		}
		if len(rest) == 0 {
			break
		}
		inputs, args = append(inputs, rest[0]), rest[1:]
	}
	if len(inputs) == 0 {
		return nil, usagef("merge: which files? give the --json output of the sweep's shards, or - for stdin")
	}
	for i, name := range inputs {
		if slices.Contains(inputs[i+1:], name) {
			return nil, usagef("merge: %s given twice", name)
		}
	}
	return inputs, nil
}

// readShards reads the runs of every input ("-" is stdin), in input order.
func readShards(stdin io.Reader, inputs []string) ([]mergedRun, error) {
	var runs []mergedRun
	for _, name := range inputs {
		var err error
		if name == "-" {
			runs, err = readShard(runs, "stdin", stdin)
		} else {
			runs, err = readShardFile(runs, name)
		}
		if err != nil {
			return nil, err
		}
	}
	if len(runs) == 0 {
		return nil, fmt.Errorf("merge: no runs in %s", strings.Join(inputs, ", "))
	}
	return runs, nil
}

func readShardFile(runs []mergedRun, name string) ([]mergedRun, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	defer f.Close()
	return readShard(runs, name, f)
}

// readShard appends the runs of one input, a JSON line each; blank lines
// are skipped.
func readShard(runs []mergedRun, name string, r io.Reader) ([]mergedRun, error) {
	in := bufio.NewReader(r)
	for number := 1; ; number++ {
		line, err := in.ReadBytes('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("merge: %s:%d: %w", name, number, err)
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(bytes.TrimSpace(line)) > 0 {
			run, parseErr := parseRun(line)
			if parseErr != nil {
				return nil, fmt.Errorf("merge: %s:%d: %w", name, number, parseErr)
			}
			run.where = fmt.Sprintf("%s:%d", name, number)
			runs = append(runs, run)
		}
		if err != nil { // io.EOF
			return runs, nil
		}
	}
}

// parseRun decodes one line of sweep --json.
func parseRun(line []byte) (mergedRun, error) {
	// The fields that identify and judge a run must be there; the
	// figures may be zero.
	var required struct {
		Protocol *string `json:"protocol"`
		Scenario *string `json:"scenario"`
		Seed     *uint64 `json:"seed"`
		Verdict  *string `json:"verdict"`
	}
	run := mergedRun{line: slices.Clone(line)}
	if err := json.Unmarshal(line, &required); err != nil {
		return run, fmt.Errorf("not a line of sweep --json: %v", err)
	}
	if err := json.Unmarshal(line, &run.result); err != nil {
		return run, fmt.Errorf("not a line of sweep --json: %v", err)
	}
	if err := json.Unmarshal(line, &run.notes); err != nil {
		return run, fmt.Errorf("not a line of sweep --json: %v", err)
	}
	for _, field := range []struct {
		name    string
		missing bool
	}{
		{"protocol", required.Protocol == nil},
		{"scenario", required.Scenario == nil},
		{"seed", required.Seed == nil},
		{"verdict", required.Verdict == nil || *required.Verdict == ""},
	} {
		if field.missing {
			return run, fmt.Errorf("not a line of sweep --json: no %q field", field.name)
		}
	}
	if _, err := scenarios.LookupProtocol(run.result.Protocol); err != nil {
		return run, err
	}
	return run, nil
}

// checkRuns checks that the runs are the shards of one sweep: no run twice,
// one bug (or none) for all, and, when the sweep ran a scenario file
// (fileScenario, from file), that file's scenario only.
func checkRuns(runs []mergedRun, fileScenario *scenarios.Scenario, file string) error {
	seen := make(map[runKey]string, len(runs))
	for _, run := range runs {
		r := run.result
		key := runKey{protocol: r.Protocol, bug: r.Bug, scenario: r.Scenario, seed: r.Seed}
		if where, dup := seen[key]; dup {
			return fmt.Errorf("merge: %s: %v is also at %s", run.where, key, where)
		}
		seen[key] = run.where
		if first := runs[0]; r.Bug != first.result.Bug {
			return fmt.Errorf("merge: %s: bug %q, but %s has bug %q: merge the shards of one sweep",
				run.where, r.Bug, first.where, first.result.Bug)
		}
		if fileScenario != nil && r.Scenario != fileScenario.Name {
			return fmt.Errorf("merge: %s: scenario %q, but --scenario-file %s is scenario %q", run.where, r.Scenario, file, fileScenario.Name)
		}
	}
	return nil
}

// compareRuns orders runs as an unsharded sweep prints them: scenario in
// library order (scenario files after, by name), then protocol in registry
// order, then seed.
func compareRuns(a, b scenarios.Result) int {
	return cmp.Or(
		cmp.Compare(scenarioRank(a.Scenario), scenarioRank(b.Scenario)),
		cmp.Compare(a.Scenario, b.Scenario),
		cmp.Compare(protocolRank(a.Protocol), protocolRank(b.Protocol)),
		cmp.Compare(a.Seed, b.Seed),
	)
}

// scenarioRank is the named scenario's place in the library, or past its
// end for a scenario file's.
func scenarioRank(name string) int {
	names := scenarios.Names()
	if i := slices.Index(names, name); i >= 0 {
		return i
	}
	return len(names)
}

func protocolRank(name string) int { return scenarios.ProtocolRank(name) }

// missingRuns describes the runs missing from results (in report order)
// for every scenario and protocol among them to have every seed of
// first..last, or "" when none is.
func missingRuns(results []scenarios.Result, first, last uint64) string {
	var names, protocols []string
	for _, r := range results {
		if !slices.Contains(names, r.Scenario) {
			names = append(names, r.Scenario)
		}
		if !slices.Contains(protocols, r.Protocol) {
			protocols = append(protocols, r.Protocol)
		}
	}
	slices.SortFunc(protocols, func(a, b string) int { return cmp.Compare(protocolRank(a), protocolRank(b)) })
	groups := uint64(len(names) * len(protocols))
	high, product := bits.Mul64(groups, last-first)
	want, carry := bits.Add64(product, groups, 0) // groups × (last-first+1)
	if high == 0 && carry == 0 && want == uint64(len(results)) {
		return ""
	}
	// results is in report order, names too; walk the grid beside it to
	// the first hole.
	i := 0
	for _, name := range names {
		for _, protocol := range protocols {
			for seed := first; ; seed++ {
				r := results[min(i, len(results)-1)]
				if i < len(results) && r.Scenario == name && r.Protocol == protocol && r.Seed == seed {
					i++
				} else {
					count := fmt.Sprintf("%d of %d runs", want-uint64(len(results)), want)
					if high != 0 || carry != 0 {
						count = "runs"
					}
					return fmt.Sprintf("%s missing (the first: scenario %s, protocol %s, seed %d): merge every shard, or give the sweep's --seeds",
						count, name, protocol, seed)
				}
				if seed == last {
					break
				}
			}
		}
	}
	return ""
}

// noteFileScenarios notes, under a merged report, that the reproduce
// commands of failing runs of scenario files name the scenario, which
// simrun run does not know: merge --scenario-file prints the right ones.
func noteFileScenarios(out io.Writer, results []scenarios.Result) {
	var files []string
	for _, r := range results {
		if _, err := scenarios.Named(r.Scenario); r.Failed() && err != nil && !slices.Contains(files, r.Scenario) {
			files = append(files, r.Scenario)
		}
	}
	if len(files) > 0 {
		fmt.Fprintf(out, "note: %s came from a scenario file: give merge --scenario-file FILE to reproduce with the file\n",
			strings.Join(files, ", "))
	}
}
