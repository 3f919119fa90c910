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

// junitBuilder collects a sweep's JUnit report run by run, in report
// order. A passing run leaves only its seed and wall time (the test case's
// strings are made when the report is), so that a long sweep holds little
// per run.
type junitBuilder struct {
	header junitHeader
	suites []junitSuiteRuns
	index  map[string]int
}

// junitSuiteRuns are the runs of one suite (one protocol × scenario).
type junitSuiteRuns struct {
	class string
	runs  []junitRun
}

// junitRun is one test case: a seed, its wall time, and its failure (nil
// for a pass).
type junitRun struct {
	seed    uint64
	wall    time.Duration
	failure *junitFailure
}

func newJUnitBuilder(h junitHeader) *junitBuilder {
	return &junitBuilder{header: h, index: map[string]int{}}
}

// add records one run and the notes the sweep added to it.
func (b *junitBuilder) add(r scenarios.Result, n runNotes) {
	class := "consim." + r.Protocol + "." + r.Scenario
	k, ok := b.index[class]
	if !ok {
		k = len(b.suites)
		b.index[class] = k
		b.suites = append(b.suites, junitSuiteRuns{class: class})
	}
	run := junitRun{seed: r.Seed, wall: r.WallTime}
	if r.Failed() {
		run.failure = junitFailureOf(r, n, b.header.file)
	}
	b.suites[k].runs = append(b.suites[k].runs, run)
}

// report builds the report of the runs added so far.
func (b *junitBuilder) report() junitSuites {
	report := junitSuites{Name: b.header.name}
	var wall time.Duration
	for _, s := range b.suites {
		suite := junitSuite{Name: s.class, Properties: b.header.properties}
		for _, run := range s.runs {
			c := junitCase{Classname: s.class, Name: fmt.Sprintf("seed-%d", run.seed), Time: seconds(run.wall), Failure: run.failure}
			if run.failure != nil {
				suite.Failures++
				report.Failures++
			}
			suite.Cases = append(suite.Cases, c)
			suite.Tests++
			suite.wall += run.wall
			report.Tests++
			wall += run.wall
		}
		suite.Time = seconds(suite.wall)
		report.Suites = append(report.Suites, suite)
	}
	report.Time = seconds(wall)
	return report
}

// write writes the report to path.
func (b *junitBuilder) write(path string) error {
	data, err := xml.MarshalIndent(b.report(), "", "  ")
	if err != nil {
		return err
	}
	data = append([]byte(xml.Header), append(data, '\n')...)
	return os.WriteFile(path, data, 0o644)
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
