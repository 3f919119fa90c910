package main

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/consim/consim/scenarios"
)

// bugsCommand hunts every catalog bug on its scenarios for a range of seeds
// and reports which checker caught it first, after how many seeds and how
// often; it runs the correct protocols on the same seeds, which must show no
// violation. Exit 0 when every bug was caught and the correct protocols held.
// An interrupted hunt reports the runs it finished and exits 1 if a correct
// protocol failed in them, else 130: a bug it did not reach is not a miss.
func bugsCommand(inv invocation, args []string) (int, error) {
	stdout := inv.stdout
	fs := newFlagSet("bugs", inv.stderr)
	seedsText := fs.String("seeds", "1:100", "seed range A:B (inclusive) for every bug and scenario")
	workers := fs.Int("workers", runtime.GOMAXPROCS(0), "parallel workers (one World each); the default, GOMAXPROCS, follows a container's CPU limit")
	jsonOut := fs.Bool("json", false, "print one JSON object per bug (and per correct protocol), a line each")
	only := fs.String("bug", "", "hunt only this bug")
	list := fs.Bool("list", false, "list the catalog and exit")
	markdown := fs.Bool("markdown", false, "print the report as a Markdown table (as in the README)")
	shrinkRuns := fs.Int("shrink-runs", 40, "shrink each bug's first detecting run with at most this many runs (0: do not shrink)")
	if err := parse(fs, args, stdout); err != nil {
		return exitUsage, err
	}
	if *list {
		printCatalog(stdout)
		return exitOK, nil
	}
	first, last, err := parseSeedRange(*seedsText)
	if err != nil {
		return exitUsage, usagef("bugs: --seeds: %v", err)
	}
	if last-first >= 1_000_000 {
		return exitUsage, usagef("bugs: --seeds: %s is more than a million seeds", *seedsText)
	}
	if *workers < 1 {
		return exitUsage, usagef("bugs: --workers: %d, need at least 1", *workers)
	}
	bugs := scenarios.Bugs()
	if *only != "" {
		b, err := scenarios.LookupBug(*only)
		if err != nil {
			return exitUsage, usagef("bugs: --bug: %v", err)
		}
		bugs = []scenarios.Bug{b}
	}
	hunt := newBugHunt(bugs, first, last)
	started := time.Now()
	progress := startMeter(inv, "bugs", len(hunt.jobs), *jsonOut)
	simulate := func(j job) (scenarios.Result, error) { return inv.runScenario(*j.scenario, j.options) }
	results, err := runJobs(inv.ctx, hunt.jobs, *workers, simulate, progress.finished)
	progress.stop()
	if err != nil {
		return exitUsage, err
	}
	reports, correct := hunt.summarize(results)
	if *shrinkRuns > 0 && inv.ctx.Err() == nil {
		shrinkFirstDetections(reports, bugs, *shrinkRuns, *workers)
	}
	if *jsonOut {
		enc := json.NewEncoder(stdout)
		for _, r := range reports {
			if err := enc.Encode(r); err != nil {
				return exitUsage, err
			}
		}
		for _, c := range correct {
			if err := enc.Encode(c); err != nil {
				return exitUsage, err
			}
		}
	} else if *markdown {
		printBugMarkdown(stdout, reports, correct, first, last)
	} else {
		printBugReport(stdout, reports, correct, len(results), time.Since(started))
	}
	if len(results) < len(hunt.jobs) {
		printInterrupted(inv, *jsonOut, len(results), len(hunt.jobs))
		for _, c := range correct {
			if c.Violations > 0 {
				return exitViolation, nil
			}
		}
		return exitInterrupted, nil
	}
	for _, r := range reports {
		if r.Detected == 0 {
			return exitViolation, nil
		}
	}
	for _, c := range correct {
		if c.Violations > 0 {
			return exitViolation, nil
		}
	}
	return exitOK, nil
}

// bugHunt is the plan: every bug on each of its scenarios for every seed,
// and every consensus protocol on the same scenarios and seeds, bug off.
type bugHunt struct {
	bugs        []scenarios.Bug
	first, last uint64
	jobs        []job
}

func newBugHunt(bugs []scenarios.Bug, first, last uint64) *bugHunt {
	h := &bugHunt{bugs: bugs, first: first, last: last}
	correct := map[string][]string{} // protocol -> scenarios, in first-seen order
	var protocolOrder []string
	for _, b := range bugs {
		for _, name := range b.Scenarios {
			s, _ := scenarios.Named(name) // the catalog test checks the names
			h.addSeeds(&s, b.Protocol, b.Name)
			if b.Baseline() {
				continue
			}
			if _, seen := correct[b.Protocol]; !seen {
				protocolOrder = append(protocolOrder, b.Protocol)
			}
			if !slices.Contains(correct[b.Protocol], name) {
				correct[b.Protocol] = append(correct[b.Protocol], name)
			}
		}
	}
	for _, protocol := range protocolOrder {
		for _, name := range correct[protocol] {
			s, _ := scenarios.Named(name)
			h.addSeeds(&s, protocol, "")
		}
	}
	return h
}

func (h *bugHunt) addSeeds(s *scenarios.Scenario, protocol, bug string) {
	for seed := h.first; ; seed++ {
		h.jobs = append(h.jobs, job{s, scenarios.Options{Protocol: protocol, Bug: bug, Seed: seed}})
		if seed == h.last {
			break
		}
	}
}

// bugReport is one bug's line of the report (and its JSON object).
type bugReport struct {
	Bug      string `json:"bug"`
	Protocol string `json:"protocol"`
	Origin   string `json:"origin"`
	// CaughtBy is the invariant of the first violation of the earliest
	// detecting run (scenario order, then seed); "" if never caught.
	CaughtBy string `json:"caught_by"`
	// Expected are the invariants the catalog says catch it.
	Expected []string `json:"expected"`
	// Seeds is how many runs were made (seeds × scenarios); Detected how
	// many of them failed.
	Seeds    int `json:"seeds"`
	Detected int `json:"detected"`
	// FirstSeed is the first detecting seed on the bug's first scenario
	// (0 if none there), the figure the catalog's budget is about.
	FirstSeed   uint64           `json:"first_seed"`
	Budget      int              `json:"budget"`
	PerScenario []scenarioReport `json:"per_scenario"`
	// ShrunkFaults is the number of fault actions of the first detecting
	// run once shrunk (same verdict); -1 when not shrunk.
	ShrunkFaults int `json:"shrunk_faults"`
	// FirstScenario and FirstDetectingSeed are the earliest detecting run
	// (scenario order, then seed), the one CaughtBy is from, and
	// Reproduce the command that replays it; empty if never caught.
	FirstScenario      string `json:"first_scenario,omitempty"`
	FirstDetectingSeed uint64 `json:"first_detecting_seed,omitempty"`
	Reproduce          string `json:"reproduce,omitempty"`
}

type scenarioReport struct {
	Scenario  string `json:"scenario"`
	Seeds     int    `json:"seeds"`
	Detected  int    `json:"detected"`
	FirstSeed uint64 `json:"first_seed"`
	// CaughtBy counts the first violation's invariant over detecting runs.
	CaughtBy map[string]int `json:"caught_by"`
}

// correctReport is a correct protocol's runs on the bugs' seeds.
type correctReport struct {
	Correct    string   `json:"correct"`
	Scenarios  []string `json:"scenarios"`
	Seeds      int      `json:"seeds"`
	Violations int      `json:"violations"`
	// Failures lists the reproduce commands of failing runs.
	Failures []string `json:"failures,omitempty"`
}

func (h *bugHunt) summarize(results []scenarios.Result) ([]bugReport, []correctReport) {
	var reports []bugReport
	index := map[string]int{}
	for _, b := range h.bugs {
		index[b.Name] = len(reports)
		reports = append(reports, bugReport{Bug: b.Name, Protocol: b.Protocol, Origin: b.Origin, Expected: b.CaughtBy, Budget: b.Budget, ShrunkFaults: -1})
	}
	var correct []correctReport
	correctIndex := map[string]int{}
	for _, r := range results {
		if r.Bug == "" {
			i, ok := correctIndex[r.Protocol]
			if !ok {
				i = len(correct)
				correctIndex[r.Protocol] = i
				correct = append(correct, correctReport{Correct: r.Protocol})
			}
			c := &correct[i]
			if !slices.Contains(c.Scenarios, r.Scenario) {
				c.Scenarios = append(c.Scenarios, r.Scenario)
			}
			c.Seeds++
			if r.Failed() {
				c.Violations++
				c.Failures = append(c.Failures, r.ReproduceCommand())
			}
			continue
		}
		rep := &reports[index[r.Bug]]
		rep.Seeds++
		if len(rep.PerScenario) == 0 || rep.PerScenario[len(rep.PerScenario)-1].Scenario != r.Scenario {
			rep.PerScenario = append(rep.PerScenario, scenarioReport{Scenario: r.Scenario, CaughtBy: map[string]int{}})
		}
		sc := &rep.PerScenario[len(rep.PerScenario)-1]
		sc.Seeds++
		if !r.Failed() {
			continue
		}
		rep.Detected++
		sc.Detected++
		invariant := r.Verdict
		if len(r.Violations) > 0 {
			invariant = r.Violations[0].Invariant
		}
		sc.CaughtBy[invariant]++
		if sc.FirstSeed == 0 {
			sc.FirstSeed = r.Seed
			if rep.CaughtBy == "" {
				rep.CaughtBy = invariant
				rep.FirstScenario, rep.FirstDetectingSeed, rep.Reproduce = r.Scenario, r.Seed, r.ReproduceCommand()
			}
			if len(rep.PerScenario) == 1 {
				rep.FirstSeed = r.Seed
			}
		}
	}
	return reports, correct
}

func printCatalog(out io.Writer) {
	for _, b := range scenarios.Bugs() {
		fmt.Fprintf(out, "%s (%s)\n  %s\n  origin: %s\n  caught by: %s\n  scenarios: %s\n",
			b.Name, b.Protocol, b.Description, b.Origin, strings.Join(b.CaughtBy, ", "), strings.Join(b.Scenarios, ", "))
	}
}

func printBugReport(out io.Writer, reports []bugReport, correct []correctReport, runs int, wall time.Duration) {
	fmt.Fprintf(out, "bug catalog: %d bugs, %d runs in %v\n", len(reports), runs, wall.Round(time.Millisecond))
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "bug\tprotocol\tcaught by\tfirst detection (budget)\tshrunk faults\tdetection rate per scenario")
	for _, r := range reports {
		var rates []string
		for _, sc := range r.PerScenario {
			rates = append(rates, fmt.Sprintf("%s %d/%d", sc.Scenario, sc.Detected, sc.Seeds))
		}
		caught, first := r.CaughtBy, "-"
		if caught == "" {
			caught = "NOT CAUGHT"
		} else {
			first = fmt.Sprintf("seed %d on %s", r.FirstDetectingSeed, r.FirstScenario)
			if r.FirstSeed == 0 {
				first += ", none on " + r.PerScenario[0].Scenario
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s (%d)\t%s\t%s\n", r.Bug, r.Protocol, caught, first, r.Budget, shrunkText(r.ShrunkFaults), strings.Join(rates, ", "))
	}
	tw.Flush()
	fmt.Fprintln(out, "(budget: the seed by which the bug must be caught on its first scenario)")
	fmt.Fprintln(out, "reproduce each bug's first detection:")
	for _, r := range reports {
		if r.Reproduce != "" {
			fmt.Fprintf(out, "  %s\n", r.Reproduce)
		}
	}
	fmt.Fprintln(out, "correct implementations on the same scenarios and seeds:")
	for _, c := range correct {
		fmt.Fprintf(out, "  %s: %d runs on %s, %d violations\n", c.Correct, c.Seeds, strings.Join(c.Scenarios, ", "), c.Violations)
		for _, f := range c.Failures {
			fmt.Fprintf(out, "    FAIL: %s\n", f)
		}
	}
}

func printBugMarkdown(out io.Writer, reports []bugReport, correct []correctReport, first, last uint64) {
	fmt.Fprintf(out, "| bug | real-world origin | caught by | first detecting seed | shrunk faults | detection rate (seeds %d:%d) |\n|---|---|---|---|---|---|\n", first, last)
	for _, r := range reports {
		var rates []string
		for _, sc := range r.PerScenario {
			rates = append(rates, fmt.Sprintf("%s %.0f%%", sc.Scenario, 100*float64(sc.Detected)/float64(max(sc.Seeds, 1))))
		}
		firstSeed := "-"
		if r.FirstSeed != 0 {
			firstSeed = fmt.Sprintf("%d (%s)", r.FirstSeed, r.PerScenario[0].Scenario)
		}
		caught := r.CaughtBy
		if caught == "" {
			caught = "**not caught**"
		}
		fmt.Fprintf(out, "| %s | %s | %s | %s | %s | %s |\n", r.Bug, strings.ReplaceAll(r.Origin, "|", "/"), caught, firstSeed, shrunkText(r.ShrunkFaults), strings.Join(rates, ", "))
	}
	fmt.Fprintln(out)
	for _, c := range correct {
		fmt.Fprintf(out, "Correct %s on the same scenarios and seeds: %d runs, %d violations.\n", c.Correct, c.Seeds, c.Violations)
	}
}

// shrinkFirstDetections shrinks, for every caught bug, its first detecting
// run on its first scenario, on up to `workers` goroutines, and records the
// shrunk scenario's fault count.
func shrinkFirstDetections(reports []bugReport, bugs []scenarios.Bug, maxRuns, workers int) {
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(workers, len(reports)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				r := &reports[i]
				s, err := scenarios.Named(bugs[i].Scenarios[0])
				if err != nil || r.FirstSeed == 0 {
					continue
				}
				shrunk, err := scenarios.Shrink(s, scenarios.Options{Protocol: r.Protocol, Bug: r.Bug, Seed: r.FirstSeed}, scenarios.ShrinkLimits{MaxRuns: maxRuns})
				if err == nil {
					r.ShrunkFaults = shrunk.After.Faults
				}
			}
		}()
	}
	for i := range reports {
		next <- i
	}
	close(next)
	wg.Wait()
}

func shrunkText(faults int) string {
	if faults < 0 {
		return "-"
	}
	return fmt.Sprint(faults)
}
