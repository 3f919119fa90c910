package main

// Tests of the rough edges a new user hit (issue 15, part 3).

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/consim/consim/scenarios"
)

// TestAnInterruptStopsARun: the first interrupt of `simrun run` abandons
// the run under way at once (exit 130, nothing written), as a sweep stops.
func TestAnInterruptStopsARun(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	release := make(chan struct{})
	defer close(release)
	var stdout, stderr bytes.Buffer
	inv := invocation{ctx: ctx, stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr,
		simulate: func(scenarios.Scenario, scenarios.Options) (scenarios.Result, error) {
			cancel() // the interrupt comes while the World runs
			<-release
			return scenarios.Result{}, nil
		}}
	trace := filepath.Join(t.TempDir(), "trace.jsonl")
	done := make(chan int, 1)
	go func() { done <- inv.run([]string{"run", "--scenario", "steady", "--seed", "5", "--trace", trace}) }()
	select {
	case code := <-done:
		assert.Equal(t, exitInterrupted, code)
	case <-time.After(10 * time.Second):
		t.Fatal("run went on after the interrupt")
	}
	assert.Empty(t, stdout.String())
	assert.Equal(t, "interrupted: run of steady seed 5 abandoned, nothing written\n", stderr.String())
	assert.NoFileExists(t, trace)
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}, {"-version"}} {
		code, stdout, stderr := call(args...)
		require.Equal(t, exitOK, code, stderr)
		assert.Regexp(t, `^simrun github.com/consim/consim \S+, .*go1\.\d+`, stdout, args)
	}
	code, _, stderr := call("version", "extra")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, `unexpected argument "extra"`)

	setting := func(pairs ...string) []debug.BuildSetting {
		var s []debug.BuildSetting
		for i := 0; i < len(pairs); i += 2 {
			s = append(s, debug.BuildSetting{Key: pairs[i], Value: pairs[i+1]})
		}
		return s
	}
	tests := []struct {
		name string
		info debug.BuildInfo
		want string
	}{
		{"a tagged module", debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Path: "github.com/consim/consim", Version: "v1.2.0"}},
			"simrun github.com/consim/consim v1.2.0, no VCS revision recorded (built outside a checkout, or by go run), go1.26.0"},
		{"a checkout", debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Path: "github.com/consim/consim", Version: "(devel)"},
			Settings: setting("vcs", "git", "vcs.revision", "81be9cc", "vcs.time", "2026-12-04T16:14:04Z", "vcs.modified", "false")},
			"simrun github.com/consim/consim (devel), revision 81be9cc (2026-12-04T16:14:04Z), go1.26.0"},
		{"a dirty checkout", debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Path: "github.com/consim/consim", Version: "(devel)"},
			Settings: setting("vcs.revision", "81be9cc", "vcs.modified", "true")},
			"simrun github.com/consim/consim (devel), revision 81be9cc with uncommitted changes, go1.26.0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, versionText(&tt.info))
		})
	}
}

func TestANumberTooLargeIsSaidToBeTooLarge(t *testing.T) {
	const huge = "99999999999999999999"
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"run", "--seed", huge}, `run: --seed "99999999999999999999" is too large (the largest is 18446744073709551615)`},
		{[]string{"shrink", "--scenario", "steady", "--seed", huge}, `shrink: --seed "99999999999999999999" is too large`},
		{[]string{"show", "swarm", "--seed", huge}, `show: --seed "99999999999999999999" is too large`},
		{[]string{"sweep", "--seeds", "1:" + huge}, `sweep: --seeds: "1:99999999999999999999": end "99999999999999999999" is too large`},
		{[]string{"sweep", "--seeds", huge + ":1"}, `start "99999999999999999999" is too large`},
		{[]string{"bugs", "--seeds", "1:" + huge}, `end "99999999999999999999" is too large`},
		{[]string{"merge", "--seeds", "1:" + huge, "x.jsonl"}, `end "99999999999999999999" is too large`},
		{[]string{"sweep", "--shard", "0/" + huge}, `shard count "99999999999999999999" is too large`},
		{[]string{"sweep", "--shard", huge + "/2"}, `shard index "99999999999999999999" is too large`},
		// What is not a number still says so.
		{[]string{"run", "--seed", "1e3"}, `run: --seed "1e3" is not a non-negative integer`},
		{[]string{"sweep", "--seeds", "1:-2"}, `end "-2" is not a non-negative integer`},
		{[]string{"sweep", "--shard", "0/0"}, `shard count "0" is not a positive integer`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, _, stderr := call(tt.args...)
			assert.Equal(t, exitUsage, code)
			first, _, _ := strings.Cut(stderr, "\n")
			assert.Contains(t, first, tt.want)
		})
	}
}

// TestAFileMustSayWhatItRuns: the two input errors of scenario files that
// misled (a negative duration reported as a liveness_window error, an
// all-zero mix running the default), through the CLI.
func TestAFileMustSayWhatItRuns(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, file, want string
	}{
		{"negative duration", "name: x\nduration: -5s\n", "x.yaml:2:1: duration: -5s, must be positive\n"},
		{"zero mix", "name: x\nworkload:\n  mix: {get: 0}\n", "x.yaml:3:3: workload.mix: every weight is 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, "x.yaml")
			require.NoError(t, os.WriteFile(path, []byte(tt.file), 0o644))
			for _, cmd := range [][]string{{"run", "--scenario-file", path}, {"show", "--scenario-file", path}} {
				code, stdout, stderr := call(cmd...)
				assert.Equal(t, exitUsage, code)
				assert.Empty(t, stdout)
				assert.Contains(t, stderr, tt.want)
				assert.NotContains(t, stderr, "liveness_window")
				assert.Equal(t, 1, strings.Count(stderr, "\n"), "one error: %s", stderr)
			}
		})
	}
}

func TestBugsReportNamesTheFirstDetectionAndItsReproduceCommand(t *testing.T) {
	reports := []bugReport{
		{Bug: "raft-x", Protocol: "raft", CaughtBy: "leader-completeness", Budget: 5, FirstSeed: 3, ShrunkFaults: -1,
			PerScenario:   []scenarioReport{{Scenario: "flapping", Seeds: 10, Detected: 4}},
			FirstScenario: "flapping", FirstDetectingSeed: 3, Reproduce: "simrun run --protocol raft --bug raft-x --scenario flapping --seed 3"},
		{Bug: "paxos-y", Protocol: "paxos", CaughtBy: "one-value-chosen", Budget: 10, ShrunkFaults: 2,
			PerScenario:   []scenarioReport{{Scenario: "swarm", Seeds: 10}, {Scenario: "flapping", Seeds: 10, Detected: 1}},
			FirstScenario: "flapping", FirstDetectingSeed: 8, Reproduce: "simrun run --protocol paxos --bug paxos-y --scenario flapping --seed 8"},
		{Bug: "raft-z", Protocol: "raft", Budget: 5, ShrunkFaults: -1, PerScenario: []scenarioReport{{Scenario: "steady", Seeds: 10}}},
	}
	var out bytes.Buffer
	printBugReport(&out, reports, nil, 30, time.Second)
	text := out.String()
	assert.Regexp(t, `raft-x +raft +leader-completeness +seed 3 on flapping \(5\) +- +flapping 4/10`, text)
	assert.Regexp(t, `paxos-y +paxos +one-value-chosen +seed 8 on flapping, none on swarm \(10\) +2 +swarm 0/10, flapping 1/10`, text)
	assert.Regexp(t, `raft-z +raft +NOT CAUGHT +- \(5\)`, text)
	assert.Contains(t, text, "reproduce each bug's first detection:\n"+
		"  simrun run --protocol raft --bug raft-x --scenario flapping --seed 3\n"+
		"  simrun run --protocol paxos --bug paxos-y --scenario flapping --seed 8\n")
}

func TestBugsHuntRecordsTheFirstDetectingRun(t *testing.T) {
	code, stdout, stderr := call("bugs", "--seeds", "1:2", "--bug", "paxos-promise-omits-accepted", "--shrink-runs", "0", "--json")
	require.Equal(t, exitOK, code, stderr)
	var report bugReport
	require.NoError(t, json.Unmarshal([]byte(strings.SplitN(stdout, "\n", 2)[0]), &report))
	assert.Equal(t, "leader-isolation", report.FirstScenario)
	assert.Equal(t, uint64(1), report.FirstDetectingSeed)
	assert.Equal(t, "simrun run --protocol paxos --bug paxos-promise-omits-accepted --scenario leader-isolation --seed 1", report.Reproduce)
}

// TestRunSummarySaysWhatItCountsAndWhyTheRunEnded: the events are the
// World's events, not the trace's records, and "ended" says why the run
// ended in words (a run that reaches its duration did not time out).
func TestRunSummarySaysWhatItCountsAndWhyTheRunEnded(t *testing.T) {
	trace := filepath.Join(t.TempDir(), "trace.jsonl")
	code, stdout, stderr := call("run", "--scenario", "leader-isolation", "--seed", "3", "--trace", trace)
	require.Equal(t, exitOK, code, stderr)
	assert.Regexp(t, `\n  ended +at the scenario's duration, 6s \(the normal end\)\n`, stdout)
	assert.Regexp(t, `\n  events +\d+ fired \(message deliveries, timers, faults; a trace also records sends, drops and facts\)\n`, stdout)
	assert.Regexp(t, `\n  trace +`+regexp.QuoteMeta(trace)+` \(\d+ records\)\n`, stdout)
	assert.NotContains(t, stdout, "time limit")

	code, stdout, _ = call("run", "--protocol", "paxos", "--bug", "paxos-promise-omits-accepted", "--scenario", "leader-isolation", "--seed", "1", "--artifacts=")
	require.Equal(t, exitViolation, code)
	assert.Regexp(t, `\n  ended +early, at [0-9.]+s: a checker found a violation\n`, stdout)

	tests := []struct {
		stop string
		want string
	}{
		{"time limit", "at the scenario's duration, 2s (the normal end)"},
		{"violation", "early, at 2s: a checker found a violation"},
		{"event limit", "early, at 2s: the World's limit of 7 events was reached"},
		{"no events left", "early, at 2s: nothing was left to happen (no event queued)"},
		{"memory budget", "early, at 2s: the run reached its memory budget (--max-memory)"},
		{"something new", "at 2s: something new"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, endedText(scenarios.Result{Stop: tt.stop, SimTime: 2 * time.Second, Events: 7}))
	}
}

func TestCheckDeterminismHelpAndOutputAgree(t *testing.T) {
	code, help, _ := call("run", "-h")
	require.Equal(t, exitOK, code)
	assert.Contains(t, help, "run the seed twice more, with the trace on, and compare those two runs' traces")
	code, stdout, stderr := call("run", "--scenario", "steady", "--seed", "2", "--check-determinism")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "deterministic: the seed ran twice more, with the trace on: identical traces\n")
	assert.NotContains(t, stdout, "2 runs")
}

// TestShardFormulaIsTheSameInHelpAndReadme: sweep -h and the README give
// one formula for which seeds a shard runs.
func TestShardFormulaIsTheSameInHelpAndReadme(t *testing.T) {
	formula := regexp.MustCompile(`\(S\s*[-−]\s*(\w+)\) mod N = I`)
	code, help, _ := call("sweep", "-h")
	require.Equal(t, exitOK, code)
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	require.NoError(t, err)
	inHelp := formula.FindStringSubmatch(help)
	require.NotNil(t, inHelp, help)
	assert.Equal(t, "A", inHelp[1])
	assert.Contains(t, help, "the range A:B")
	for _, found := range formula.FindAllStringSubmatch(string(readme), -1) {
		assert.Equal(t, inHelp[0], found[0])
	}
	assert.Contains(t, string(readme), "`"+inHelp[0]+"`")
}

func TestScenarioTakesACommaList(t *testing.T) {
	tests := []struct {
		list string
		want []string
	}{
		{"lossy", []string{"lossy"}},
		{"lossy,steady", []string{"steady", "lossy"}},
		{"lossy, steady ,lossy", []string{"steady", "lossy"}},
		{"swarm,all", scenarios.Names()},
	}
	for _, tt := range tests {
		t.Run(tt.list, func(t *testing.T) {
			plan, err := newSweepPlan("raft", tt.list, "", "1:2", wholeRange, 1)
			require.NoError(t, err)
			var names []string
			for _, s := range plan.scenarios {
				names = append(names, s.Name)
			}
			assert.Equal(t, tt.want, names, "library order, each once")
			assert.Equal(t, 2*len(tt.want), plan.runs)
		})
	}
	_, err := newSweepPlan("raft", "lossy,nope", "", "1:2", wholeRange, 1)
	assert.ErrorContains(t, err, `sweep: --scenario: unknown scenario "nope"`)

	code, stdout, stderr := call("sweep", "--scenario", "lossy,steady", "--seeds", "1:2", "--json")
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, 4, strings.Count(stdout, "\n"))
}

func TestJSONViolationsIsAlwaysAList(t *testing.T) {
	code, stdout, stderr := call("run", "--scenario", "steady", "--seed", "1", "--json")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, `"violations":[]`)
	code, stdout, stderr = call("sweep", "--scenario", "steady", "--seeds", "1:2", "--json")
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, 2, strings.Count(stdout, `"violations":[]`))
}

func TestReproduceLinesStartWithTheProgramAsInvoked(t *testing.T) {
	tests := []struct {
		arg0, mainPackage, want string
	}{
		{"simrun", "github.com/consim/consim/cmd/simrun", "simrun"},
		{"./simrun", "github.com/consim/consim/cmd/simrun", "./simrun"},
		{"/opt/consim/bin/simrun", "", "/opt/consim/bin/simrun"},
		{"/home/me/my tools/simrun", "", "'/home/me/my tools/simrun'"},
		{"/tmp/go-build2829/b001/exe/simrun", "github.com/consim/consim/cmd/simrun", "go run github.com/consim/consim/cmd/simrun"},
		{"/tmp/go-build2829/b001/exe/simrun", "", "go run ./cmd/simrun"},
		{"", "", "simrun"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, programName(tt.arg0, tt.mainPackage), tt.arg0)
	}

	was := scenarios.Program
	scenarios.Program = "./simrun"
	t.Cleanup(func() { scenarios.Program = was })
	code, stdout, _ := call("run", "--protocol", "paxos", "--bug", "paxos-promise-omits-accepted", "--scenario", "swarm", "--seed", "1", "--artifacts=")
	require.Equal(t, exitViolation, code)
	assert.Contains(t, stdout, "reproduce with: ./simrun run --protocol paxos --bug paxos-promise-omits-accepted --scenario swarm --seed 1\n")
	assert.Contains(t, stdout, "drawn faults as a file: ./simrun show swarm --seed 1 > ")
	code, stdout, _ = call("sweep", "--protocol", "paxos", "--bug", "paxos-promise-omits-accepted", "--scenario", "leader-isolation", "--seeds", "1:1", "--artifacts=")
	require.Equal(t, exitViolation, code)
	assert.Contains(t, stdout, "    reproduce: ./simrun run --protocol paxos --bug paxos-promise-omits-accepted --scenario leader-isolation --seed 1\n")
}

// TestEveryCommandHasHelp: `simrun CMD -h` says how the command is called
// and what it does, even without flags (list), and names its arguments
// (regress DIR).
func TestEveryCommandHasHelp(t *testing.T) {
	tests := []struct {
		cmd  string
		want []string
	}{
		{"run", []string{"usage: simrun run [flags]\n", "flags:\n", "-check-determinism"}},
		{"sweep", []string{"usage: simrun sweep [flags]\n", "-shard"}},
		{"shrink", []string{"usage: simrun shrink [flags] (--scenario NAME | --scenario-file F.yaml) --seed N\n"}},
		{"regress", []string{"usage: simrun regress [--json] DIR\n", "every *.yaml file of DIR", "-json"}},
		{"merge", []string{"usage: simrun merge [flags] FILE... | -\n"}},
		{"show", []string{"usage: simrun show NAME | --scenario-file F.yaml [--seed N]\n", "docs/scenario-file.md"}},
		{"list", []string{"usage: simrun list\n", "no flags"}},
		{"bugs", []string{"usage: simrun bugs [flags]\n", "-shrink-runs"}},
		{"version", []string{"usage: simrun version (or simrun --version)\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.cmd, func(t *testing.T) {
			code, stdout, stderr := call(tt.cmd, "-h")
			require.Equal(t, exitOK, code, stderr)
			assert.True(t, strings.HasPrefix(stdout, "usage: simrun "+tt.cmd), stdout)
			for _, want := range tt.want {
				assert.Contains(t, stdout, want)
			}
		})
	}
	assert.Contains(t, usage, "simrun version", "the main usage names every command")
}
