package main

import (
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// parsedJUnit is the JUnit schema as a CI server reads it, declared apart
// from the writer's types so that the test reads what is in the file.
type parsedJUnit struct {
	XMLName  xml.Name `xml:"testsuites"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Suites   []struct {
		Name       string           `xml:"name,attr"`
		Tests      int              `xml:"tests,attr"`
		Failures   int              `xml:"failures,attr"`
		Time       string           `xml:"time,attr"`
		Properties []parsedProperty `xml:"properties>property"`
		Cases      []struct {
			Classname string `xml:"classname,attr"`
			Name      string `xml:"name,attr"`
			Time      string `xml:"time,attr"`
			Failure   *struct {
				Message string `xml:"message,attr"`
				Type    string `xml:"type,attr"`
				Text    string `xml:",chardata"`
			} `xml:"failure"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

type parsedProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

func readJUnit(t *testing.T, path string) parsedJUnit {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(string(data), xml.Header), "starts with the XML declaration")
	var report parsedJUnit
	require.NoError(t, xml.Unmarshal(data, &report), "%s", data)
	return report
}

func TestSweepJUnitHasACasePerSeedAndASuitePerProtocolAndScenario(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "junit.xml")
	code, _, stderr := call("sweep", "--protocol", "paxos", "--bug", "paxos-promise-omits-accepted", "--scenario", "swarm",
		"--seeds", "1:4", "--workers", "2", "--junit", file, "--artifacts", dir)
	require.Equal(t, exitViolation, code, stderr)
	report := readJUnit(t, file)
	assert.Equal(t, 4, report.Tests)
	require.Len(t, report.Suites, 1)
	suite := report.Suites[0]
	assert.Equal(t, "consim.paxos.swarm", suite.Name)
	assert.Equal(t, 4, suite.Tests)
	require.Len(t, suite.Cases, 4)
	failures := 0
	for i, c := range suite.Cases {
		assert.Equal(t, "consim.paxos.swarm", c.Classname)
		assert.Equal(t, fmt.Sprintf("seed-%d", i+1), c.Name)
		_, err := strconv.ParseFloat(c.Time, 64)
		assert.NoError(t, err, "time in seconds")
		if c.Failure != nil {
			failures++
		}
	}
	assert.Positive(t, failures)
	assert.Equal(t, failures, suite.Failures)
	assert.Equal(t, failures, report.Failures)

	first := suite.Cases[0].Failure
	require.NotNil(t, first, "seed 1 fails")
	assert.Equal(t, "safety", first.Type)
	assert.True(t, strings.HasPrefix(first.Message, "safety: safety violation: one-value-chosen at "), first.Message)
	assert.NotContains(t, first.Message, "\n")
	assert.Contains(t, first.Text, `was chosen at slot`, "the violations")
	assert.Contains(t, first.Text, "\nreproduce: simrun run --protocol paxos --bug paxos-promise-omits-accepted --scenario swarm --seed 1\n")
	assert.Contains(t, first.Text, "\nartifacts: "+filepath.Join(dir, "paxos-swarm-paxos-promise-omits-accepted-seed-1")+"\n")
	assert.Contains(t, suite.Properties, parsedProperty{"bug", "paxos-promise-omits-accepted"})
}

func TestSweepJUnitOfAShardGroupsByProtocol(t *testing.T) {
	file := filepath.Join(t.TempDir(), "junit-0.xml")
	code, _, stderr := call("sweep", "--protocol", "raft,paxos", "--scenario", "steady", "--seeds", "1:4", "--shard", "0/2", "--junit", file)
	require.Equal(t, exitOK, code, stderr)
	report := readJUnit(t, file)
	assert.Equal(t, 4, report.Tests)
	assert.Zero(t, report.Failures)
	require.Len(t, report.Suites, 2)
	for i, protocol := range []string{"raft", "paxos"} {
		suite := report.Suites[i]
		assert.Equal(t, "consim."+protocol+".steady", suite.Name)
		assert.Equal(t, 2, suite.Tests)
		assert.Zero(t, suite.Failures)
		assert.Equal(t, "seed-1", suite.Cases[0].Name)
		assert.Equal(t, "seed-3", suite.Cases[1].Name)
		assert.Nil(t, suite.Cases[0].Failure)
		assert.Contains(t, suite.Properties, parsedProperty{"shard", "0/2"})
	}
}

func TestAnInterruptedSweepWritesTheJUnitOfItsFinishedRuns(t *testing.T) {
	file := filepath.Join(t.TempDir(), "junit.xml")
	code, stdout, stderr := interruptAfter(3, "sweep", "--scenario", "steady", "--seeds", "1:40", "--workers", "2", "--junit", file)
	require.Equal(t, exitInterrupted, code, stderr)
	var done int
	_, err := fmt.Sscanf(stdout[strings.LastIndex(stdout, "interrupted:"):], "interrupted: %d of 40 runs done", &done)
	require.NoError(t, err)
	report := readJUnit(t, file)
	assert.Equal(t, done, report.Tests)
	require.Len(t, report.Suites, 1)
	assert.Len(t, report.Suites[0].Cases, done)
}
