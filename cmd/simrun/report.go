package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/consim/consim/scenarios"
	"github.com/consim/consim/scenarios/report"
)

// writeReport writes the sweep's HTML page (--report) to path: the
// tally's table and failing runs, with the collector's charts. The
// failing runs' files are linked relative to the page.
func writeReport(path string, h sweepHeader, t *sweepTally, c *report.Collector) error {
	var text strings.Builder
	t.print(&text, h)
	page := report.Page{Summary: h.summary(t.runs, t.events, t.runTime), Header: sweepColumns, Notes: sweepColumnNotes}
	for _, line := range strings.Split(text.String(), "\n") {
		if strings.HasPrefix(line, "verdict: ") {
			page.Verdict = line
			break
		}
	}
	for _, a := range t.rows {
		page.Rows = append(page.Rows, a.cells())
	}
	for i, r := range t.failures {
		f := report.Failure{Scenario: r.Scenario, Protocol: r.Protocol, Seed: r.Seed, Verdict: r.Verdict,
			Reproduce: reproduceCommand(r, h.file)}
		if len(r.Violations) > 0 {
			f.First, _, _ = strings.Cut(r.Violations[0].String(), "\n")
		}
		if r.Swarm {
			f.AsFile = drawnCommand(r, h.file)
		}
		f.Artifacts = relativeTo(path, t.notes[i].Artifacts)
		f.Shrunk = relativeTo(path, t.notes[i].Shrunk)
		page.Failures = append(page.Failures, f)
	}
	return c.WriteFile(path, page)
}

// relativeTo is target as a path relative to the folder of the page at
// page, in slashes for a link ("" stays "").
func relativeTo(page, target string) string {
	if target == "" {
		return ""
	}
	base, err := filepath.Abs(filepath.Dir(page))
	if err != nil {
		return filepath.ToSlash(target)
	}
	abs, err := filepath.Abs(target)
	if err != nil {
		return filepath.ToSlash(target)
	}
	rel, err := filepath.Rel(base, abs)
	if err != nil {
		return filepath.ToSlash(abs)
	}
	return filepath.ToSlash(rel)
}

// newReportCollector is the collector of a sweep's page, or nil without
// --report.
func (p sweepPlan) newReportCollector() *report.Collector {
	if p.report == "" {
		return nil
	}
	return report.NewCollector(p.scenarios, p.protocols)
}

// reportError names the flag of a failure to write the page.
func reportError(err error) error { return fmt.Errorf("sweep: --report: %w", err) }

// checkReportPath fails early, before a long sweep, when the page cannot
// be written where path says: its folder must exist.
func checkReportPath(path string) error {
	if path == "" {
		return nil
	}
	if info, err := os.Stat(filepath.Dir(path)); err != nil || !info.IsDir() {
		return usagef("--report: %s: the folder %s does not exist", path, filepath.Dir(path))
	}
	return nil
}

// writeMergedReport writes the page of a merge's results (in report
// order), h.notes holding what the sweeps added to each. The scenarios
// are the named ones met, in order, or fileScenario (nil for none) for
// the runs of a file.
func writeMergedReport(path string, h sweepHeader, results []scenarios.Result, fileScenario *scenarios.Scenario) error {
	var list []scenarios.Scenario
	var protocols []string
	for _, r := range results {
		if !slices.Contains(protocols, r.Protocol) {
			protocols = append(protocols, r.Protocol)
		}
		if slices.ContainsFunc(list, func(s scenarios.Scenario) bool { return s.Name == r.Scenario }) {
			continue
		}
		if fileScenario != nil && fileScenario.Name == r.Scenario {
			list = append(list, *fileScenario)
		} else if s, err := scenarios.Named(r.Scenario); err == nil {
			list = append(list, s)
		}
	}
	slices.SortStableFunc(protocols, func(a, b string) int { return scenarios.ProtocolRank(a) - scenarios.ProtocolRank(b) })
	t := newSweepTally()
	c := report.NewCollector(list, protocols)
	for i, r := range results {
		t.add(r, h.notes[i])
		c.Add(r)
	}
	return writeReport(path, h, t, c)
}
