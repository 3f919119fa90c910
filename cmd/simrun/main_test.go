package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
