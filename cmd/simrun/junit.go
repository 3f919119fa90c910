package main

import (
	"encoding/xml"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/consim/consim/scenarios"
)

// The JUnit XML a sweep writes with --junit: the schema CI servers
// (Jenkins, GitLab, GitHub test reporters) read. One <testsuite> per
// protocol × scenario, one <testcase> per seed.
type (
	junitSuites struct {
		XMLName  xml.Name     `xml:"testsuites"`
		Name     string       `xml:"name,attr"`
		Tests    int          `xml:"tests,attr"`
		Failures int          `xml:"failures,attr"`
		Time     string       `xml:"time,attr"`
		Suites   []junitSuite `xml:"testsuite"`
	}
	junitSuite struct {
		Name       string          `xml:"name,attr"`
		Tests      int             `xml:"tests,attr"`
		Failures   int             `xml:"failures,attr"`
		Errors     int             `xml:"errors,attr"`
		Time       string          `xml:"time,attr"`
		Properties []junitProperty `xml:"properties>property,omitempty"`
		Cases      []junitCase     `xml:"testcase"`
		// wall sums the cases' wall times; Time shows it.
		wall time.Duration
	}
	junitProperty struct {
		Name  string `xml:"name,attr"`
		Value string `xml:"value,attr"`
	}
	junitCase struct {
		Classname string        `xml:"classname,attr"`
		Name      string        `xml:"name,attr"`
		Time      string        `xml:"time,attr"`
		Failure   *junitFailure `xml:"failure,omitempty"`
	}
	junitFailure struct {
		// Message is "<verdict>: <first line of the first violation>".
		Message string `xml:"message,attr"`
		// Type is the verdict.
		Type string `xml:"type,attr"`
		// Text holds every violation, the reproduce command and the
		// failure's files.
		Text string `xml:",chardata"`
	}
)

// junitHeader is what the report says about the sweep as a whole: its
// name and the properties of every suite.
type junitHeader struct {
	name       string
	properties []junitProperty
	// file is the scenario file of the sweep ("" for named scenarios),
	// for the reproduce commands.
	file string
}

func (p sweepPlan) junitHeader() junitHeader {
	seeds := fmt.Sprintf("%d:%d", p.first, p.last)
	h := junitHeader{name: "consim sweep, seeds " + seeds, file: p.file,
		properties: []junitProperty{{Name: "seeds", Value: seeds}}}
	if p.shard != wholeRange {
		h.name += " shard " + p.shard.String()
		h.properties = append(h.properties, junitProperty{Name: "shard", Value: p.shard.String()})
	}
	if p.bug != "" {
		h.properties = append(h.properties, junitProperty{Name: "bug", Value: p.bug})
	}
	if p.file != "" {
		h.properties = append(h.properties, junitProperty{Name: "scenario-file", Value: p.file})
	}
	return h
}

// junitReport builds the report of results (in report order) and their
// notes.
func junitReport(h junitHeader, results []scenarios.Result, notes []runNotes) junitSuites {
	report := junitSuites{Name: h.name}
	index := map[string]int{}
	var wall time.Duration
	for i, r := range results {
		class := "consim." + r.Protocol + "." + r.Scenario
		k, ok := index[class]
		if !ok {
			k = len(report.Suites)
			index[class] = k
			report.Suites = append(report.Suites, junitSuite{Name: class, Properties: h.properties})
		}
		suite := &report.Suites[k]
		c := junitCase{Classname: class, Name: fmt.Sprintf("seed-%d", r.Seed), Time: seconds(r.WallTime)}
		if r.Failed() {
			c.Failure = junitFailureOf(r, notes[i], h.file)
			suite.Failures++
			report.Failures++
		}
		suite.Cases = append(suite.Cases, c)
		suite.Tests++
		suite.wall += r.WallTime
		report.Tests++
		wall += r.WallTime
	}
	for i := range report.Suites {
		report.Suites[i].Time = seconds(report.Suites[i].wall)
	}
	report.Time = seconds(wall)
	return report
}

func junitFailureOf(r scenarios.Result, n runNotes, file string) *junitFailure {
	var text strings.Builder
	first := r.Verdict
	for k, v := range r.Violations {
		line := v.String()
		if k == 0 {
			head, _, _ := strings.Cut(line, "\n")
			first = head
		}
		fmt.Fprintf(&text, "%s\n", line)
	}
	fmt.Fprintf(&text, "reproduce: %s\n", reproduceCommand(r, file))
	if r.Swarm {
		fmt.Fprintf(&text, "as a file: %s\n", drawnCommand(r, file))
	}
	if n.Artifacts != "" {
		fmt.Fprintf(&text, "artifacts: %s\n", n.Artifacts)
	}
	if n.Shrunk != "" {
		fmt.Fprintf(&text, "shrunk: %s\n", n.Shrunk)
	}
	return &junitFailure{Message: r.Verdict + ": " + first, Type: r.Verdict, Text: text.String()}
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

// writeJUnit writes the JUnit report of results to path.
func writeJUnit(path string, h junitHeader, results []scenarios.Result, notes []runNotes) error {
	data, err := xml.MarshalIndent(junitReport(h, results, notes), "", "  ")
	if err != nil {
		return err
	}
	data = append([]byte(xml.Header), append(data, '\n')...)
	return os.WriteFile(path, data, 0o644)
}
