package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/consim/consim/scenarios"
)

const projectCorpus = "../../scenarios/testdata/regress"

func TestRegressReplaysTheProjectCorpus(t *testing.T) {
	code, stdout, stderr := call("regress", projectCorpus)
	require.Equal(t, exitOK, code, "%s%s", stdout, stderr)
	files, err := filepath.Glob(filepath.Join(projectCorpus, "*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, file := range files {
		assert.Regexp(t, `(?m)^ok +`+file+` +seed \d+ +expected \w+ +got \w+$`, stdout)
	}
	assert.NotContains(t, stdout, "FAIL")
	assert.Regexp(t, `\nregression corpus: \d+ cases, 0 failed\n$`, stdout)

	code, stdout, stderr = call("regress", "--json", projectCorpus)
	require.Equal(t, exitOK, code)
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	assert.GreaterOrEqual(t, len(lines), len(files))
	for _, line := range lines {
		var c struct {
			File, Expect, Got, Reproduce string
			Seed                         uint64
			Passed                       bool
			Result                       struct{ Verdict, Fingerprint string }
		}
		require.NoError(t, json.Unmarshal([]byte(line), &c), line)
		assert.True(t, c.Passed, line)
		assert.Equal(t, c.Expect, c.Got)
		assert.Equal(t, c.Got, c.Result.Verdict)
		assert.NotEmpty(t, c.Result.Fingerprint)
		assert.Contains(t, c.Reproduce, "--scenario-file "+c.File)
	}
	assert.Contains(t, stderr, "0 failed", "the summary goes to stderr, beside JSON")
}

func TestRegressFailsACaseThatNoLongerGivesItsVerdict(t *testing.T) {
	dir := t.TempDir()
	s, err := scenarios.Named("leader-isolation")
	require.NoError(t, err)
	// The bug breaks safety on seed 1; the case says the run holds.
	s.Regression = &scenarios.Regression{Protocol: "paxos", Bug: "paxos-promise-omits-accepted", Seeds: []uint64{1}}
	data, err := scenarios.MarshalScenario(s)
	require.NoError(t, err)
	file := filepath.Join(dir, "fixed.yaml")
	require.NoError(t, os.WriteFile(file, data, 0o644))
	s.Regression = &scenarios.Regression{Protocol: "raft", Seeds: []uint64{1, 2}}
	data, err = scenarios.MarshalScenario(s)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "raft.yaml"), data, 0o644))

	code, stdout, stderr := call("regress", dir, "--json")
	assert.Equal(t, exitViolation, code, stderr)
	assert.Contains(t, stdout, `"passed":false`)
	assert.Contains(t, stderr, "regression corpus: 3 cases, 1 failed")

	code, stdout, stderr = call("regress", dir)
	assert.Equal(t, exitViolation, code, stderr)
	assert.Regexp(t, `(?m)^FAIL +`+file+` +seed 1 +expected ok +got safety$`, stdout)
	assert.Regexp(t, `(?m)^ok +`+filepath.Join(dir, "raft.yaml")+` +seed 2 +expected ok +got ok$`, stdout)
	assert.Contains(t, stdout, "regression corpus: 3 cases, 1 failed\n  FAIL "+file+" seed 1: expected ok, got safety\n"+
		"    reproduce: simrun run --protocol paxos --bug paxos-promise-omits-accepted --scenario-file "+file+" --seed 1\n")
}

func TestRegressOfAnUnreadableCorpusExitsTwo(t *testing.T) {
	dir := t.TempDir()
	code, _, stderr := call("regress", filepath.Join(dir, "missing"))
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "simrun: regress: regression corpus: ")

	code, _, stderr = call("regress", dir)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "no *.yaml files")

	data, err := scenarios.MarshalScenario(scenarios.Base())
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "plain.yaml"), data, 0o644))
	code, _, stderr = call("regress", dir)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "needs a regression block")
}
