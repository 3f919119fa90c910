package report

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/consim/consim/scenarios"
)

// RunTimelineFile is the page WriteRunTimeline adds to a run's artifacts
// folder.
const RunTimelineFile = "timeline.html"

// WriteRunTimeline writes, into a failing run's artifacts folder, the
// sweep report's page for that one run: its operations completed per
// 100ms with the fault windows of the scenario as played (a swarm run's
// drawn faults included), its latency distribution, and its verdict and
// first violation. It returns the page's path.
func WriteRunTimeline(folder string, res scenarios.Result) (string, error) {
	played := res.Played
	played.Name = res.Scenario
	c := NewCollector([]scenarios.Scenario{played}, []string{res.Protocol})
	c.Add(res)
	page := Page{
		Summary: fmt.Sprintf("one run: protocol %s, scenario %s, seed %d", res.Protocol, res.Scenario, res.Seed),
		Verdict: "verdict: " + res.Verdict,
	}
	if res.Failed() {
		f := Failure{Scenario: res.Scenario, Protocol: res.Protocol, Seed: res.Seed, Verdict: res.Verdict, Reproduce: res.ReproduceCommand()}
		if len(res.Violations) > 0 {
			f.First, _, _ = strings.Cut(res.Violations[0].String(), "\n")
		}
		page.Failures = []Failure{f}
	}
	path := filepath.Join(folder, RunTimelineFile)
	return path, c.WriteFile(path, page)
}

// WriteFile writes the page (see Write) to the file path.
func (c *Collector) WriteFile(path string, p Page) error {
	file, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(file)
	err = c.Write(w, p)
	if err == nil {
		err = w.Flush()
	}
	if closeErr := file.Close(); err == nil {
		err = closeErr
	}
	return err
}
