package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/consim/consim/scenarios"
	"github.com/consim/consim/sim"
)

// brokenPaxos is a run that fails: an acceptor whose promise omits what it
// accepted, on the leader-isolation scenario.
var brokenPaxos = []string{"--protocol", "paxos", "--bug", "paxos-promise-omits-accepted", "--scenario", "leader-isolation"}

const brokenPaxosFolder = "paxos-leader-isolation-paxos-promise-omits-accepted-seed-1"

// artifactFiles are the files of a failing run's folder.
var artifactFiles = []string{"scenario.yaml", "trace.jsonl", "linearizability.html", "spacetime.html", "README.txt"}

func TestAFailingRunWritesItsArtifactsAndSaysWhere(t *testing.T) {
	dir := os.Getenv(artifactsEnv)
	require.NotEmpty(t, dir, "TestMain sets it")
	folder := filepath.Join(dir, brokenPaxosFolder)
	require.NoError(t, os.RemoveAll(folder))

	code, stdout, stderr := call(append([]string{"run", "--seed", "1"}, brokenPaxos...)...)
	require.Equal(t, exitViolation, code, stderr)
	assert.Contains(t, stdout, "\nartifacts: "+folder+" (")
	for _, name := range artifactFiles {
		info, err := os.Stat(filepath.Join(folder, name))
		if assert.NoError(t, err, name) {
			assert.Positive(t, info.Size(), name)
		}
	}
	readme, err := os.ReadFile(filepath.Join(folder, "README.txt"))
	require.NoError(t, err)
	assert.Contains(t, string(readme), "one-value-chosen")

	t.Run("the JSON object names the folder", func(t *testing.T) {
		code, stdout, _ := call(append([]string{"run", "--seed", "1", "--json"}, brokenPaxos...)...)
		require.Equal(t, exitViolation, code)
		var res struct{ Artifacts, Verdict string }
		require.NoError(t, json.Unmarshal([]byte(stdout), &res))
		assert.Equal(t, folder, res.Artifacts)
		assert.Equal(t, "safety", res.Verdict)
	})
	t.Run("--artifacts DIR puts it there, --artifacts= nowhere", func(t *testing.T) {
		mine := t.TempDir()
		code, stdout, _ := call(append([]string{"run", "--seed", "1", "--artifacts", mine}, brokenPaxos...)...)
		require.Equal(t, exitViolation, code)
		assert.Contains(t, stdout, "artifacts: "+filepath.Join(mine, brokenPaxosFolder))
		assert.FileExists(t, filepath.Join(mine, brokenPaxosFolder, "spacetime.html"))

		code, stdout, _ = call(append([]string{"run", "--seed", "1", "--artifacts="}, brokenPaxos...)...)
		require.Equal(t, exitViolation, code)
		assert.NotContains(t, stdout, "artifacts")
	})
	t.Run("a passing run writes none", func(t *testing.T) {
		mine := t.TempDir()
		code, stdout, _ := call("run", "--scenario", "steady", "--artifacts", mine)
		require.Equal(t, exitOK, code)
		assert.NotContains(t, stdout, "artifacts")
		entries, err := os.ReadDir(mine)
		require.NoError(t, err)
		assert.Empty(t, entries)
	})
}

func TestASweepWritesArtifactsForItsFirstFailingRuns(t *testing.T) {
	dir := t.TempDir()
	sweep := append([]string{"sweep", "--seeds", "1:4", "--workers", "2", "--artifacts", dir, "--max-artifacts", "2"}, brokenPaxos...)
	code, stdout, stderr := call(sweep...)
	require.Equal(t, exitViolation, code, stderr)
	for seed := 1; seed <= 4; seed++ {
		folder := filepath.Join(dir, fmt.Sprintf("paxos-leader-isolation-paxos-promise-omits-accepted-seed-%d", seed))
		if seed <= 2 {
			assert.Regexp(t, fmt.Sprintf(`FAIL leader-isolation seed %d: .*\n    reproduce: .*\n    artifacts: %s\n`, seed, folder), stdout)
			assert.FileExists(t, filepath.Join(folder, "README.txt"))
		} else {
			assert.NoDirExists(t, folder, "past --max-artifacts")
		}
	}
	assert.Equal(t, 2, strings.Count(stdout, "artifacts: "))

	code, stdout, _ = call(append(sweep, "--json")...)
	require.Equal(t, exitViolation, code)
	var folders []string
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var r struct{ Artifacts string }
		require.NoError(t, json.Unmarshal([]byte(line), &r))
		folders = append(folders, filepath.Base(r.Artifacts))
	}
	assert.Equal(t, []string{
		"paxos-leader-isolation-paxos-promise-omits-accepted-seed-1",
		"paxos-leader-isolation-paxos-promise-omits-accepted-seed-2", ".", "."}, folders)
}

// TestMergeListsTheArtifactsTheShardsWrote: merge writes no artifacts, but
// its report lists those the shards wrote, as the unsharded sweep's does.
func TestMergeListsTheArtifactsTheShardsWrote(t *testing.T) {
	dir := t.TempDir()
	sweep := append([]string{"sweep", "--seeds", "1:2", "--artifacts", dir}, brokenPaxos...)
	whole := sweepInto(t, "", sweep...)
	require.Equal(t, exitViolation, whole.code, whole.stderr)
	var files []string
	for i := range 2 {
		file := filepath.Join(dir, fmt.Sprintf("shard-%d.jsonl", i))
		sweepInto(t, file, append(sweep, "--json", "--shard", fmt.Sprintf("%d/2", i))...)
		files = append(files, file)
	}
	merged := sweepInto(t, "", append([]string{"merge"}, files...)...)
	require.Equal(t, exitViolation, merged.code, merged.stderr)
	assert.Equal(t, reportBody(whole.stdout), reportBody(merged.stdout))
	assert.Contains(t, merged.stdout, "    artifacts: "+filepath.Join(dir, brokenPaxosFolder)+"\n")
}

func TestCheckDeterminismOfARealRun(t *testing.T) {
	code, stdout, stderr := call("run", "--scenario", "crash-restart", "--seed", "3", "--check-determinism")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "deterministic: the seed ran twice more, with the trace on: identical traces\n")

	code, stdout, _ = call("run", "--scenario", "crash-restart", "--seed", "3", "--check-determinism", "--json")
	require.Equal(t, exitOK, code)
	assert.NotContains(t, stdout, "nondeterministic")

	code, stdout, stderr = call("sweep", "--scenario", "steady", "--seeds", "1:3", "--check-determinism")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "verdict: ok, no violation")
}

// divergence is what the fake determinism check finds.
var divergence = scenarios.Divergence{
	Index:    7,
	First:    sim.Record{At: 10_000_000, Kind: sim.KindSend, From: 1, To: 2, Detail: "ping"},
	Second:   sim.Record{At: 10_000_000, Kind: sim.KindSend, From: 1, To: 3, Detail: "ping"},
	FirstLen: 90, SecondLen: 90,
}

// flaky is an invocation whose runs of seed 2 differ: the second run of
// that seed has another fingerprint, and the determinism check finds
// divergence. scenarios tests a protocol that is really nondeterministic;
// here we check what simrun does with one.
func flaky() (*invocation, *bytes.Buffer, *bytes.Buffer) {
	var mu sync.Mutex
	runs := map[uint64]int{}
	var stdout, stderr bytes.Buffer
	inv := &invocation{ctx: context.Background(), stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr,
		simulate: func(s scenarios.Scenario, o scenarios.Options) (scenarios.Result, error) {
			r, err := scenarios.Run(s, o)
			mu.Lock()
			defer mu.Unlock()
			runs[o.Seed]++
			if o.Seed == 2 && runs[o.Seed]%2 == 0 {
				r.Fingerprint = "0123456789abcdef"
			}
			return r, err
		},
		diverge: func(s scenarios.Scenario, o scenarios.Options) (*scenarios.Divergence, error) {
			if o.Seed != 2 {
				return nil, nil
			}
			d := divergence
			return &d, nil
		},
	}
	return inv, &stdout, &stderr
}

func TestRunCheckDeterminismNamesTheFirstDivergentEvent(t *testing.T) {
	inv, stdout, stderr := flaky()
	code := inv.run([]string{"run", "--scenario", "steady", "--seed", "2", "--check-determinism"})
	require.Equal(t, exitViolation, code, stderr.String())
	assert.Contains(t, stdout.String(), "verdict         ok\n")
	assert.Contains(t, stdout.String(), "\nnondeterministic: "+divergence.String()+"\n")
	assert.Contains(t, divergence.String(), "diverge at event 7")

	inv, stdout, _ = flaky()
	code = inv.run([]string{"run", "--scenario", "steady", "--seed", "2", "--check-determinism", "--json"})
	require.Equal(t, exitViolation, code)
	var res map[string]any
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &res))
	assert.Equal(t, divergence.String(), res["nondeterministic"])
	assert.Equal(t, "ok", res["verdict"])
}

func TestSweepCheckDeterminismFailsTheSeedWhoseRunsDiffer(t *testing.T) {
	junit := filepath.Join(t.TempDir(), "junit.xml")
	inv, stdout, stderr := flaky()
	code := inv.run([]string{"sweep", "--scenario", "steady", "--seeds", "1:3", "--workers", "2", "--check-determinism", "--junit", junit})
	require.Equal(t, exitViolation, code, stderr.String())
	out := stdout.String()
	assert.Contains(t, out, "verdict: 1 failing runs\n")
	assert.Contains(t, out, "  FAIL steady seed 2: nondeterministic: nondeterministic violation: determinism at 10ms, nodes none, seed 2: two runs of the seed have fingerprints ")
	assert.Contains(t, out, " and 0123456789abcdef (the first run's verdict: ok); "+divergence.String()+"\n")
	assert.NotContains(t, out, "artifacts:", "a run that does not replay gets no folder")
	assert.Empty(t, stderr.String())

	report := readJUnit(t, junit)
	require.Len(t, report.Suites, 1)
	assert.Equal(t, 3, report.Suites[0].Tests)
	assert.Equal(t, 1, report.Suites[0].Failures)
	assert.Equal(t, "nondeterministic", report.Suites[0].Cases[1].Failure.Type)

	// Without the flag each seed runs once: nothing to compare.
	inv, stdout, _ = flaky()
	code = inv.run([]string{"sweep", "--scenario", "steady", "--seeds", "1:3"})
	assert.Equal(t, exitOK, code, stdout.String())
}

func TestNameDivergencesReplaysOnlyTheFirstFew(t *testing.T) {
	s, err := scenarios.Named("steady")
	require.NoError(t, err)
	var jobs []job
	var results []scenarios.Result
	for seed := range uint64(maxDivergences + 2) {
		jobs = append(jobs, job{&s, scenarios.Options{Protocol: "raft", Seed: seed}})
		r := scenarios.Result{Seed: seed, Verdict: "ok", Fingerprint: "aa"}
		markNondeterministic(&r, "bb")
		results = append(results, r)
	}
	checked := 0
	inv := invocation{diverge: func(scenarios.Scenario, scenarios.Options) (*scenarios.Divergence, error) {
		checked++
		if checked == 1 {
			return nil, nil // the second pair of runs agreed
		}
		return &divergence, nil
	}}
	require.NoError(t, nameDivergences(inv, jobs, results))
	assert.Equal(t, maxDivergences, checked)
	assert.Contains(t, results[0].Violations[0].Detail, "two more runs were identical")
	assert.Contains(t, results[1].Violations[0].Detail, divergence.String())
	assert.Contains(t, results[maxDivergences].Violations[0].Detail, "not replayed")
}

func TestShrinkWritesARegressionCaseThatReplays(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "paxos-swarm-1.yaml")
	code, stdout, stderr := call("shrink", "--protocol", "paxos", "--bug", "paxos-promise-omits-accepted", "--scenario", "swarm", "--seed", "1", "--out", file)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "shrink: paxos on swarm seed 1 (bug paxos-promise-omits-accepted): verdict safety, shrinking")
	assert.Regexp(t, `\n  verdict kept  safety\n  before        \d+ fault actions?, \d+ operations?, \d+ events?`, stdout)
	assert.Regexp(t, `\n  after         \d+ fault actions?, \d+ operations?, \d+ events?`, stdout)
	assert.Contains(t, stdout, "wrote "+file+" (with a regression block: protocol paxos, bug paxos-promise-omits-accepted, seed 1, expect safety)\n")
	replay := "simrun run --protocol paxos --bug paxos-promise-omits-accepted --scenario-file " + file + " --seed 1"
	assert.Contains(t, stdout, "replay with: "+replay+"\n")

	s, err := scenarios.LoadScenario(file)
	require.NoError(t, err)
	assert.LessOrEqual(t, len(s.Faults), 5)
	assert.False(t, s.Swarm)
	assert.Equal(t, "swarm-seed-1-shrunk", s.Name)
	assert.Equal(t, &scenarios.Regression{Protocol: "paxos", Bug: "paxos-promise-omits-accepted", Seeds: []uint64{1}, Expect: "safety"}, s.Regression)

	code, stdout, stderr = call(append(strings.Fields(replay)[1:], "--artifacts=")...)
	assert.Equal(t, exitViolation, code, stderr)
	assert.Contains(t, stdout, "verdict         safety\n")

	code, stdout, stderr = call("regress", dir)
	assert.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "regression corpus: 1 cases, 0 failed")
}

func TestShrinkWritesToTheWorkingDirectoryAndLetsAPassingRunBe(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	code, stdout, stderr := call(append([]string{"shrink", "--seed", "1", "--max-runs", "3"}, brokenPaxos...)...)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "wrote leader-isolation-seed-1-shrunk.yaml ")
	assert.FileExists(t, filepath.Join(dir, "leader-isolation-seed-1-shrunk.yaml"))
	assert.Contains(t, stdout, "  runs          3\n", "--max-runs bounds the shrink")

	code, stdout, stderr = call("shrink", "--scenario", "steady", "--seed", "1")
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, "shrink: raft on steady seed 1: nothing to shrink: the run passes (verdict ok)\n", stdout)
	assert.NoFileExists(t, filepath.Join(dir, "steady-seed-1-shrunk.yaml"))
}

func TestSweepShrinkWritesTheShrunkScenarios(t *testing.T) {
	dir := t.TempDir()
	code, stdout, stderr := call("sweep", "--protocol", "paxos", "--bug", "paxos-promise-omits-accepted", "--scenario", "swarm",
		"--seeds", "1:2", "--shrink", "--max-artifacts", "1", "--artifacts", dir)
	require.Equal(t, exitViolation, code, stderr)
	shrunk := filepath.Join(dir, "paxos-swarm-paxos-promise-omits-accepted-seed-1-shrunk.yaml")
	assert.Regexp(t, `FAIL swarm seed 1: (.*\n    [a-z ]+: .*)*\n    shrunk: `+shrunk+"\n", stdout)
	assert.Equal(t, 1, strings.Count(stdout, "shrunk: "), "--max-artifacts bounds the shrinks")
	s, err := scenarios.LoadScenario(shrunk)
	require.NoError(t, err)
	require.NotNil(t, s.Regression)
	assert.Equal(t, []uint64{1}, s.Regression.Seeds)
}

func TestFailureToolUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"shrink", "--scenario", "swarm"}, "shrink: which seed?"},
		{[]string{"shrink", "--seed", "1"}, "shrink: which scenario?"},
		{[]string{"shrink", "--scenario", "swarm", "--seed", "x"}, `shrink: --seed "x" is not a non-negative integer`},
		{[]string{"shrink", "--scenario", "swarm", "--seed", "1", "--max-runs", "0"}, "shrink: --max-runs: 0"},
		{[]string{"shrink", "--scenario", "swarm", "--seed", "1", "--protocol", "raft", "--bug", "paxos-promise-omits-accepted"}, "breaks paxos, not raft"},
		{[]string{"shrink", "--scenario", "swarm", "--scenario-file", "x.yaml", "--seed", "1"}, "shrink: give --scenario or --scenario-file, not both"},
		{[]string{"sweep", "--max-artifacts", "-1"}, "sweep: --max-artifacts: -1"},
		{[]string{"regress"}, "regress: which corpus?"},
		{[]string{"regress", "a", "b"}, `regress: unexpected argument "b"`},
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

func TestHelpNamesTheNewFlags(t *testing.T) {
	code, stdout, _ := call("-h")
	require.Equal(t, exitOK, code)
	for _, want := range []string{"simrun shrink", "simrun regress", "--check-determinism", "--junit FILE", "--artifacts DIR", "CONSIM_ARTIFACTS"} {
		assert.Contains(t, stdout, want)
	}
	for cmd, flags := range map[string][]string{
		"run":     {"-artifacts", "-check-determinism"},
		"sweep":   {"-artifacts", "-max-artifacts", "-shrink", "-check-determinism", "-junit"},
		"shrink":  {"-out", "-max-runs", "-seed"},
		"regress": {"-json"},
	} {
		code, stdout, _ := call(cmd, "-h")
		assert.Equal(t, exitOK, code, cmd)
		for _, flag := range flags {
			assert.Regexp(t, `(?m)^  `+flag+`\b`, stdout, cmd)
		}
	}
}
