package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/consim/consim/scenarios"
)

func call(args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := simrun(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestBadUsageExitsTwoWithAOneLineErrorAndTheUsage(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"run", "--scenario", "nope"}, `unknown scenario "nope"`},
		{[]string{"run", "--protocol", "zab"}, `unknown protocol "zab"`},
		{[]string{"run", "--seed", "-3"}, `--seed "-3" is not a non-negative integer`},
		{[]string{"run", "--colour"}, "flag provided but not defined: -colour"},
		{[]string{"run", "extra"}, `unexpected argument "extra"`},
		{[]string{"sweep", "--seeds", "9:3"}, "end 3 is before start 9"},
		{[]string{"sweep", "--seeds", "a:3"}, `start "a" is not a non-negative integer`},
		{[]string{"sweep", "--workers", "0"}, "--workers: 0"},
		{[]string{"sweep", "--protocol", "raft,zab"}, `unknown protocol "zab"`},
		{[]string{"sweep", "--scenario", "nope"}, `unknown scenario "nope"`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, stdout, stderr := call(tt.args...)
			assert.Equal(t, exitUsage, code)
			assert.Empty(t, stdout)
			first, _, _ := strings.Cut(stderr, "\n")
			assert.Contains(t, first, tt.want)
			assert.Contains(t, stderr, "usage:")
		})
	}
}

func TestListNamesEveryScenario(t *testing.T) {
	code, stdout, _ := call("list")
	require.Equal(t, exitOK, code)
	for _, name := range []string{"steady", "leader-isolation", "majority-partition", "crash-restart", "lossy", "flapping", "swarm", "raft"} {
		assert.Contains(t, stdout, name)
	}
}

func TestRunPrintsTheSameFingerprintEveryTime(t *testing.T) {
	var fingerprints []string
	for range 3 {
		code, stdout, stderr := call("run", "--scenario", "crash-restart", "--seed", "11", "--json")
		require.Equal(t, exitOK, code, stderr)
		var res map[string]any
		require.NoError(t, json.Unmarshal([]byte(stdout), &res))
		for _, key := range []string{"protocol", "scenario", "seed", "verdict", "fingerprint", "events", "violations"} {
			assert.Contains(t, res, key)
		}
		assert.Equal(t, "ok", res["verdict"])
		fingerprints = append(fingerprints, res["fingerprint"].(string))
	}
	assert.Equal(t, fingerprints[0], fingerprints[1])
	assert.Equal(t, fingerprints[0], fingerprints[2])
}

func TestRunSummaryAndTrace(t *testing.T) {
	trace := t.TempDir() + "/trace.jsonl"
	code, stdout, stderr := call("run", "--scenario", "leader-isolation", "--seed", "3", "--trace", trace)
	require.Equal(t, exitOK, code, stderr)
	for _, want := range []string{"events", "ops", "leader changes", "fingerprint", "verdict", "ok"} {
		assert.Contains(t, stdout, want)
	}
	assert.Contains(t, stdout, trace)
}

func TestSweepJSONPrintsOneObjectPerRun(t *testing.T) {
	code, stdout, stderr := call("sweep", "--scenario", "steady", "--seeds", "1:4", "--workers", "2", "--json")
	require.Equal(t, exitOK, code, stderr)
	sc := bufio.NewScanner(strings.NewReader(stdout))
	var seeds []float64
	for sc.Scan() {
		var res map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &res))
		seeds = append(seeds, res["seed"].(float64))
	}
	assert.Equal(t, []float64{1, 2, 3, 4}, seeds, "results in seed order whatever order they finished in")
}

func TestSweepTable(t *testing.T) {
	code, stdout, stderr := call("sweep", "--scenario", "lossy", "--seeds", "1:3", "--workers", "2")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "lossy")
	assert.Contains(t, stdout, "verdict: ok")
}

// fingerprint runs simrun run with args and --json and returns the run's
// scenario name and fingerprint.
func fingerprint(t *testing.T, args ...string) (string, string) {
	t.Helper()
	code, stdout, stderr := call(append([]string{"run", "--json"}, args...)...)
	require.Equal(t, exitOK, code, "%v: %s", args, stderr)
	var res struct{ Scenario, Fingerprint string }
	require.NoError(t, json.Unmarshal([]byte(stdout), &res))
	require.NotEmpty(t, res.Fingerprint)
	return res.Scenario, res.Fingerprint
}

// TestShowThenRunTheFileIsTheSameRun: for every named scenario, `show X >
// x.yaml` then `run --scenario-file x.yaml` is the run `run --scenario X`.
func TestShowThenRunTheFileIsTheSameRun(t *testing.T) {
	dir := t.TempDir()
	for _, name := range scenarios.Names() {
		t.Run(name, func(t *testing.T) {
			code, shown, stderr := call("show", name)
			require.Equal(t, exitOK, code, stderr)
			file := filepath.Join(dir, name+".yaml")
			require.NoError(t, os.WriteFile(file, []byte(shown), 0o644))
			for _, seed := range []string{"1", "7", "42"} {
				wantName, want := fingerprint(t, "--scenario", name, "--seed", seed)
				gotName, got := fingerprint(t, "--scenario-file", file, "--seed", seed)
				assert.Equal(t, want, got, "seed %s", seed)
				assert.Equal(t, wantName, gotName)
			}
		})
	}
}

func TestAFileWithoutANameIsNamedAfterTheFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "my-run.yaml")
	require.NoError(t, os.WriteFile(file, []byte("duration: 3s\n"), 0o644))
	name, _ := fingerprint(t, "--scenario-file", file, "--seed", "1")
	assert.Equal(t, "my-run", name)
}

// stuckFile is a scenario that fails: no server reaches another after 1s,
// for good.
const stuckFile = `# every server alone after 1s, for good: a liveness failure
name: stuck
faults:
  - {at: 1s, action: partition, groups: [[1], [2], [3], [4], [5]]}
keep_faults: true
`

func TestAFailingFileRunIsReproducedWithTheFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "stuck run.yaml")
	require.NoError(t, os.WriteFile(file, []byte(stuckFile), 0o644))
	quoted := "'" + file + "'"

	code, stdout, stderr := call("run", "--scenario-file", file, "--seed", "3")
	require.Equal(t, exitViolation, code, stderr)
	assert.Contains(t, stdout, "scenario=stuck seed=3")
	assert.Contains(t, stdout, "reproduce with: simrun run --protocol raft --scenario-file "+quoted+" --seed 3\n")

	code, stdout, stderr = call("sweep", "--scenario-file", file, "--seeds", "1:2", "--workers", "2")
	require.Equal(t, exitViolation, code, stderr)
	assert.Contains(t, stdout, "FAIL stuck seed 2")
	assert.Contains(t, stdout, "reproduce: simrun run --protocol raft --scenario-file "+quoted+" --seed 2\n")
}

func TestSweepAFile(t *testing.T) {
	dir := t.TempDir()
	code, shown, _ := call("show", "lossy")
	require.Equal(t, exitOK, code)
	file := filepath.Join(dir, "lossy.yaml")
	require.NoError(t, os.WriteFile(file, []byte(shown), 0o644))
	code, fromFile, stderr := call("sweep", "--scenario-file", file, "--seeds", "1:3", "--json")
	require.Equal(t, exitOK, code, stderr)
	code, named, stderr := call("sweep", "--scenario", "lossy", "--seeds", "1:3", "--json")
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, fingerprints(t, named), fingerprints(t, fromFile))
}

// fingerprints picks the fingerprints out of JSON lines.
func fingerprints(t *testing.T, jsonLines string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(jsonLines))
	for sc.Scan() {
		var res struct{ Fingerprint string }
		require.NoError(t, json.Unmarshal(sc.Bytes(), &res))
		out = append(out, res.Fingerprint)
	}
	return out
}

func TestShowAFileWritesEveryField(t *testing.T) {
	code, stdout, stderr := call("show", "--scenario-file", "../../scenarios/testdata/good/short.yaml")
	require.Equal(t, exitOK, code, stderr)
	s, err := scenarios.ParseScenario("shown.yaml", []byte(stdout))
	require.NoError(t, err)
	want, err := scenarios.LoadScenario("../../scenarios/testdata/good/short.yaml")
	require.NoError(t, err)
	assert.Equal(t, want, s)
	assert.Contains(t, stdout, "liveness_window: 1s\n")
}

func TestScenarioUsageErrorsExitTwo(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"run", "--scenario", "steady", "--scenario-file", "x.yaml"}, "run: give --scenario or --scenario-file, not both"},
		{[]string{"sweep", "--scenario", "all", "--scenario-file", "x.yaml"}, "sweep: give --scenario or --scenario-file, not both"},
		{[]string{"show", "nope"}, `show: unknown scenario "nope"`},
		{[]string{"show"}, "show: which scenario?"},
		{[]string{"show", "steady", "lossy"}, `show: unexpected argument "lossy"`},
		{[]string{"show", "--scenario-file", "x.yaml", "steady"}, "show: give a scenario name or --scenario-file, not both"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, stdout, stderr := call(tt.args...)
			assert.Equal(t, exitUsage, code)
			assert.Empty(t, stdout)
			first, _, _ := strings.Cut(stderr, "\n")
			assert.Contains(t, first, tt.want)
			assert.Contains(t, stderr, "usage:")
		})
	}
}

// TestBadScenarioFilesExitTwo: a bad file is bad input: exit 2 with the
// one-line error that names the file, the line and the field.
func TestBadScenarioFilesExitTwo(t *testing.T) {
	tests := []struct {
		file, want string
	}{
		{"node-outside.yaml", ":5:29: faults[1].node: node 9 is outside the cluster 1..5\n"},
		{"unknown-field.yaml", ":2:1: sevrers: unknown field (did you mean servers?); known fields: name, "},
		{"bad-duration.yaml", `:2:11: duration: want a duration with a unit (ns, us, ms, s, m, h) such as 1.5s or 200ms, got "6"` + "\n"},
		{"heal-without-partition.yaml", ":3:14: faults[0]: heal at 1s, but nothing is partitioned, cut or clogged then"},
	}
	for _, tt := range tests {
		file := filepath.Join("..", "..", "scenarios", "testdata", "bad", tt.file)
		for _, cmd := range [][]string{
			{"run", "--scenario-file", file},
			{"sweep", "--scenario-file", file, "--seeds", "1:2"},
			{"show", "--scenario-file", file},
		} {
			t.Run(strings.Join(cmd, " "), func(t *testing.T) {
				code, stdout, stderr := call(cmd...)
				assert.Equal(t, exitUsage, code)
				assert.Empty(t, stdout)
				assert.True(t, strings.HasPrefix(stderr, "simrun: "+file+tt.want), "stderr: %s", stderr)
				assert.Equal(t, 1, strings.Count(stderr, "\n"), "one line: %s", stderr)
			})
		}
	}
	code, _, stderr := call("run", "--scenario-file", "no/such/file.yaml")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "no/such/file.yaml: no such file or directory")
}

func TestShowSwarmSeedWritesTheDrawnFaultsAsAReplayableFile(t *testing.T) {
	path := t.TempDir() + "/drawn.yaml"
	code, stdout, stderr := call("show", "swarm", "--seed", "7")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "swarm: false")
	assert.Contains(t, stdout, "name: swarm-seed-7")
	require.NoError(t, os.WriteFile(path, []byte(stdout), 0o644))
	fingerprint := func(args ...string) string {
		code, out, stderr := call(append([]string{"run", "--json", "--seed", "7"}, args...)...)
		require.Equal(t, exitOK, code, stderr)
		var res map[string]any
		require.NoError(t, json.Unmarshal([]byte(out), &res))
		return res["fingerprint"].(string)
	}
	assert.Equal(t, fingerprint("--scenario", "swarm"), fingerprint("--scenario-file", path))
	code, _, _ = call("show", "swarm", "--seed", "x")
	assert.Equal(t, exitUsage, code)
}

func TestBugsReportsDetectionAndTheCorrectProtocol(t *testing.T) {
	code, stdout, stderr := call("bugs", "--seeds", "1:3", "--bug", "paxos-promise-omits-accepted", "--json")
	require.Equal(t, exitOK, code, stderr)
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	require.Len(t, lines, 2, "one object for the bug, one for the correct protocol")
	var bug, correct map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &bug))
	require.NoError(t, json.Unmarshal([]byte(lines[1]), &correct))
	for _, key := range []string{"bug", "protocol", "origin", "caught_by", "seeds", "detected", "first_seed"} {
		assert.Contains(t, bug, key)
	}
	assert.Equal(t, "one-value-chosen", bug["caught_by"])
	assert.Positive(t, bug["detected"])
	assert.Equal(t, "paxos", correct["correct"])
	assert.Zero(t, correct["violations"])

	code, _, stderr = call("bugs", "--bug", "nope")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, `unknown bug "nope"`)
	code, stdout, _ = call("bugs", "--list")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, stdout, "raft-vote-without-log-check")
}

func TestRunWithABugFailsAndSaysHowToReproduce(t *testing.T) {
	code, stdout, _ := call("run", "--protocol", "paxos", "--bug", "paxos-promise-omits-accepted", "--scenario", "leader-isolation", "--seed", "1")
	assert.Equal(t, exitViolation, code)
	assert.Contains(t, stdout, "simrun run --protocol paxos --bug paxos-promise-omits-accepted --scenario leader-isolation --seed 1")
	code, _, stderr := call("run", "--protocol", "paxos", "--bug", "raft-vote-without-log-check")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "breaks raft, not paxos")
}
