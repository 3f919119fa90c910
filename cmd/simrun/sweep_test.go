package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/consim/consim/scenarios"
)

// TestShardsSliceTheSeedRangeExactlyOnce: the N shards of a range hold each
// of its seeds exactly once, for every scenario and protocol, in report
// order; shards past the range's end are empty.
func TestShardsSliceTheSeedRangeExactlyOnce(t *testing.T) {
	ranges := []struct{ first, last uint64 }{
		{1, 10}, {0, 0}, {5, 7}, {1, 100}, {math.MaxUint64 - 4, math.MaxUint64},
	}
	for _, r := range ranges {
		whole, err := newSweepPlan("raft,paxos", "all", "", fmt.Sprintf("%d:%d", r.first, r.last), wholeRange, 1)
		require.NoError(t, err)
		want := keys(whole.jobs())
		require.Len(t, want, int(r.last-r.first+1)*len(scenarios.Names())*2)
		for _, n := range []uint64{1, 2, 3, 4, 7, 11, 101, math.MaxUint64} {
			t.Run(fmt.Sprintf("seeds %d:%d in %d shards", r.first, r.last, n), func(t *testing.T) {
				var got []runKey
				span := r.last - r.first
				for i := range min(n, span+1) {
					plan, err := newSweepPlan("raft,paxos", "all", "", fmt.Sprintf("%d:%d", r.first, r.last), shard{i, n}, 1)
					require.NoError(t, err)
					jobs := keys(plan.jobs())
					assert.Len(t, jobs, plan.runs)
					assert.True(t, slices.IsSortedFunc(jobs, compareKeys), "shard %d/%d in report order", i, n)
					for _, k := range jobs {
						assert.Equal(t, i, (k.seed-r.first)%n, "seed %d in shard %d/%d", k.seed, i, n)
					}
					got = append(got, jobs...)
				}
				for _, i := range []uint64{span + 1, n - 1} {
					if i < n && i > span {
						plan, err := newSweepPlan("raft", "steady", "", fmt.Sprintf("%d:%d", r.first, r.last), shard{i, n}, 1)
						require.NoError(t, err)
						assert.Empty(t, plan.jobs(), "shard %d/%d is past the range", i, n)
					}
				}
				slices.SortFunc(got, compareKeys)
				assert.Equal(t, want, got, "every run in exactly one shard")
			})
		}
	}
}

func keys(jobs []job) []runKey {
	out := make([]runKey, len(jobs))
	for i, j := range jobs {
		out[i] = runKey{protocol: j.options.Protocol, bug: j.options.Bug, scenario: j.scenario.Name, seed: j.options.Seed}
	}
	return out
}

func compareKeys(a, b runKey) int {
	return compareRuns(scenarios.Result{Protocol: a.protocol, Scenario: a.scenario, Seed: a.seed},
		scenarios.Result{Protocol: b.protocol, Scenario: b.scenario, Seed: b.seed})
}

func TestBadShardsAreUsageErrors(t *testing.T) {
	tests := []struct{ shard, want string }{
		{"3/3", `"3/3": shard index 3 is not below the count 3`},
		{"0/0", `"0/0": shard count "0" is not a positive integer`},
		{"1", `"1": want I/N`},
		{"a/2", `shard index "a" is not a non-negative integer`},
		{"-1/2", `shard index "-1" is not a non-negative integer`},
		{"1/2/3", `shard count "2/3" is not a positive integer`},
		{"/", `shard index "" is not a non-negative integer`},
	}
	for _, tt := range tests {
		t.Run(tt.shard, func(t *testing.T) {
			code, stdout, stderr := call("sweep", "--scenario", "steady", "--seeds", "1:3", "--shard", tt.shard)
			assert.Equal(t, exitUsage, code)
			assert.Empty(t, stdout)
			first, _, _ := strings.Cut(stderr, "\n")
			assert.Contains(t, first, "sweep: --shard: ")
			assert.Contains(t, first, tt.want)
			assert.Contains(t, stderr, "usage:")
		})
	}
	code, _, stderr := call("sweep", "--scenario", "steady", "--seeds", "0:18446744073709551615")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "makes more than 100000000 runs")
}

// sweepOutput is one sweep (or merge) command's result.
type sweepOutput struct {
	code           int
	stdout, stderr string
}

func sweepInto(t *testing.T, file string, args ...string) sweepOutput {
	t.Helper()
	code, stdout, stderr := call(args...)
	if file != "" {
		require.NoError(t, os.WriteFile(file, []byte(stdout), 0o644))
	}
	return sweepOutput{code, stdout, stderr}
}

// withoutWallTime is the JSON lines with the wall_ns field (the one field
// that differs between two runs of a seed) taken out of each.
func withoutWallTime(t *testing.T, jsonLines string) []string {
	t.Helper()
	var out []string
	sc := bufio.NewScanner(strings.NewReader(jsonLines))
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var fields map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &fields), "%s", sc.Text())
		require.Contains(t, fields, "wall_ns")
		delete(fields, "wall_ns")
		line, err := json.Marshal(fields)
		require.NoError(t, err)
		out = append(out, string(line))
	}
	return out
}

// reportBody is a sweep table without the first line and the wall-time
// figures: the rows (less their events/s column), the verdict, the failing
// runs and their reproduce commands.
func reportBody(report string) []string {
	lines := strings.Split(strings.TrimRight(report, "\n"), "\n")[1:]
	var out []string
	inTable := true
	for _, line := range lines {
		if strings.HasPrefix(line, "(p50, p99") {
			inTable = false
		}
		if inTable {
			fields := strings.Fields(line)
			line = strings.Join(fields[:len(fields)-1], " ")
		}
		out = append(out, line)
	}
	return out
}

// TestShardedSweepMergesToTheUnshardedSweep: the shards of a sweep, each
// run with --json into its own file, merge into the unsharded sweep's JSON
// lines (in its order, wall times aside) and into its report: the same
// table, verdict, failing seeds and reproduce commands, and exit code.
func TestShardedSweepMergesToTheUnshardedSweep(t *testing.T) {
	stuck := filepath.Join(t.TempDir(), "stuck.yaml")
	require.NoError(t, os.WriteFile(stuck, []byte(stuckFile), 0o644))
	tests := []struct {
		name   string
		sweep  []string
		shards []uint64
		// merge are merge's extra flags.
		merge []string
	}{
		{"every scenario, two protocols", []string{"--protocol", "raft,paxos", "--scenario", "all", "--seeds", "1:2"}, []uint64{2, 3}, nil},
		{"a bug that fails", []string{"--protocol", "paxos", "--bug", "paxos-promise-omits-accepted", "--scenario", "leader-isolation", "--seeds", "1:5"}, []uint64{3}, nil},
		{"swarm runs that fail", []string{"--protocol", "paxos", "--bug", "paxos-promise-omits-accepted", "--scenario", "swarm", "--seeds", "1:4"}, []uint64{2}, nil},
		{"a failing scenario file", []string{"--scenario-file", stuck, "--seeds", "1:3"}, []uint64{2}, []string{"--scenario-file", stuck}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			// Artifacts off: they cost a replay per failing run, and
			// TestMergeListsTheArtifactsTheShardsWrote covers them.
			whole := sweepInto(t, "", append([]string{"sweep", "--workers", "2", "--json", "--artifacts="}, tt.sweep...)...)
			require.Contains(t, []int{exitOK, exitViolation}, whole.code, whole.stderr)
			wholeTable := sweepInto(t, "", append([]string{"sweep", "--workers", "2", "--artifacts="}, tt.sweep...)...)
			require.Equal(t, whole.code, wholeTable.code)
			wantLines := withoutWallTime(t, whole.stdout)

			for _, n := range tt.shards {
				var files, shardLines []string
				for i := range n {
					file := filepath.Join(dir, fmt.Sprintf("shard-%d-of-%d.jsonl", i, n))
					shard := sweepInto(t, file, append([]string{"sweep", "--workers", "2", "--json", "--artifacts=", "--shard", fmt.Sprintf("%d/%d", i, n)}, tt.sweep...)...)
					require.Contains(t, []int{exitOK, exitViolation}, shard.code, shard.stderr)
					assert.Empty(t, shard.stderr)
					files = append(files, file)
					shardLines = append(shardLines, withoutWallTime(t, shard.stdout)...)
				}
				assert.ElementsMatch(t, wantLines, shardLines, "%d shards: every run once", n)

				slices.Reverse(files) // the order of the inputs does not matter
				merged := sweepInto(t, "", append(append([]string{"merge", "--json"}, tt.merge...), files...)...)
				assert.Equal(t, whole.code, merged.code, merged.stderr)
				assert.Empty(t, merged.stderr)
				assert.Equal(t, wantLines, withoutWallTime(t, merged.stdout), "%d shards: merged lines in the unsharded order", n)

				report := sweepInto(t, "", append(append([]string{"merge"}, tt.merge...), files...)...)
				assert.Equal(t, whole.code, report.code, report.stderr)
				assert.Equal(t, reportBody(wholeTable.stdout), reportBody(report.stdout), "%d shards: the unsharded report", n)
				assert.True(t, strings.HasPrefix(report.stdout, fmt.Sprintf("merge: seeds %s, %d runs from %d inputs", tt.sweep[len(tt.sweep)-1], len(wantLines), n)), report.stdout)
			}
		})
	}
}

func TestMergeOfAFileScenarioWithoutTheFileSaysHowToReproduce(t *testing.T) {
	dir := t.TempDir()
	stuck := filepath.Join(dir, "stuck.yaml")
	require.NoError(t, os.WriteFile(stuck, []byte(stuckFile), 0o644))
	shard := filepath.Join(dir, "shard.jsonl")
	sweepInto(t, shard, "sweep", "--scenario-file", stuck, "--seeds", "2", "--json")
	code, stdout, _ := call("merge", shard)
	assert.Equal(t, exitViolation, code)
	assert.Contains(t, stdout, "reproduce: simrun run --protocol raft --scenario stuck --seed 2\n")
	assert.Contains(t, stdout, "note: stuck came from a scenario file: give merge --scenario-file FILE")
}

func TestMergeReadsStdinAndFlagsAfterTheFiles(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.jsonl"), filepath.Join(dir, "b.jsonl")
	sweepInto(t, a, "sweep", "--scenario", "steady", "--seeds", "1:4", "--shard", "0/2", "--json")
	second := sweepInto(t, b, "sweep", "--scenario", "steady", "--seeds", "1:4", "--shard", "1/2", "--json")
	var stdout, stderr bytes.Buffer
	inv := invocation{ctx: context.Background(), stdin: strings.NewReader(second.stdout), stdout: &stdout, stderr: &stderr}
	code := inv.run([]string{"merge", a, "-", "--json"})
	require.Equal(t, exitOK, code, stderr.String())
	assert.Equal(t, []string{"1", "2", "3", "4"}, seedsOf(t, stdout.String()))
}

func seedsOf(t *testing.T, jsonLines string) []string {
	t.Helper()
	var seeds []string
	for _, line := range strings.Split(strings.TrimSpace(jsonLines), "\n") {
		var r struct{ Seed uint64 }
		require.NoError(t, json.Unmarshal([]byte(line), &r))
		seeds = append(seeds, fmt.Sprint(r.Seed))
	}
	return seeds
}

// TestBadMergeInputsExitTwoNamingFileAndLine.
func TestBadMergeInputsExitTwoNamingFileAndLine(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
		return path
	}
	ok := sweepInto(t, "", "sweep", "--scenario", "steady", "--seeds", "1:3", "--json").stdout
	lines := strings.SplitAfter(ok, "\n")
	shard := write("shard.jsonl", ok)
	again := write("again.jsonl", "\n"+lines[1])
	broken := write("broken.jsonl", lines[0]+"{\"protocol\": \"raft\",\n")
	noVerdict := write("no-verdict.jsonl", `{"protocol":"raft","scenario":"steady","seed":9}`+"\n")
	bugsLine := write("bugs.jsonl", sweepInto(t, "", "bugs", "--seeds", "1", "--bug", "paxos-promise-omits-accepted", "--json").stdout)
	zab := write("zab.jsonl", strings.Replace(lines[0], `"protocol":"raft"`, `"protocol":"zab"`, 1))
	otherBug := write("other-bug.jsonl", sweepInto(t, "", "sweep", "--protocol", "paxos", "--bug", "paxos-promise-omits-accepted", "--scenario", "steady", "--seeds", "7", "--json").stdout)
	empty := write("empty.jsonl", "")
	stuck := write("stuck.yaml", stuckFile)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{shard, again}, "merge: " + again + ":2: protocol raft, scenario steady, seed 2 is also at " + shard + ":2\n"},
		{[]string{broken}, "merge: " + broken + ":2: not a line of sweep --json: unexpected end of JSON input\n"},
		{[]string{noVerdict}, "merge: " + noVerdict + `:1: not a line of sweep --json: no "verdict" field` + "\n"},
		{[]string{bugsLine}, "merge: " + bugsLine + `:1: not a line of sweep --json: no "scenario" field` + "\n"},
		{[]string{zab}, "merge: " + zab + `:1: unknown protocol "zab"`},
		{[]string{shard, otherBug}, "merge: " + otherBug + `:1: bug "paxos-promise-omits-accepted", but ` + shard + `:1 has bug "": merge the shards of one sweep` + "\n"},
		{[]string{empty}, "merge: no runs in " + empty + "\n"},
		{[]string{filepath.Join(dir, "nope.jsonl")}, "nope.jsonl: no such file or directory\n"},
		{[]string{"--seeds", "2:3", shard}, "merge: " + shard + ":1: seed 1 is outside --seeds 2:3\n"},
		{[]string{"--scenario-file", stuck, shard}, "merge: " + shard + `:1: scenario "steady", but --scenario-file ` + stuck + ` is scenario "stuck"` + "\n"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, stdout, stderr := call(append([]string{"merge"}, tt.args...)...)
			assert.Equal(t, exitUsage, code)
			assert.Empty(t, stdout)
			assert.True(t, strings.HasPrefix(stderr, "simrun: "), stderr)
			assert.Contains(t, stderr, tt.want)
			assert.Equal(t, 1, strings.Count(stderr, "\n"), "one line: %s", stderr)
		})
	}
	for _, args := range [][]string{{}, {shard, shard}, {"-", "-"}, {"--frobnicate", shard}, {"--seeds", "3:1", shard}} {
		code, _, stderr := call(append([]string{"merge"}, args...)...)
		assert.Equal(t, exitUsage, code, args)
		assert.Contains(t, stderr, "usage:", args)
	}
}

// TestMergeSaysWhichRunsAreMissing: a merge without every shard reports
// the merged runs, says which are missing in its one verdict (never "ok"),
// and exits 2 (1 if a run failed).
func TestMergeSaysWhichRunsAreMissing(t *testing.T) {
	dir := t.TempDir()
	shard := func(i int, args ...string) string {
		file := filepath.Join(dir, fmt.Sprintf("%s-%d.jsonl", args[len(args)-1], i))
		sweepInto(t, file, append([]string{"sweep", "--seeds", "1:6", "--json", "--shard", fmt.Sprintf("%d/3", i)}, args...)...)
		return file
	}
	first, last := shard(0, "--scenario", "steady"), shard(2, "--scenario", "steady")
	code, stdout, stderr := call("merge", first, last)
	assert.Equal(t, exitUsage, code, stderr)
	assert.NotContains(t, stdout, "verdict: ok")
	assert.Equal(t, 1, strings.Count(stdout, "verdict:"), stdout)
	assert.Contains(t, stdout, "verdict: incomplete, no violation in the runs merged, but 2 of 6 runs missing (the first: scenario steady, protocol raft, seed 2): merge every shard, or give the sweep's --seeds\n")
	assert.True(t, strings.HasSuffix(stdout, "--seeds\n"), "the verdict is the last line:\n%s", stdout)

	code, stdout, stderr = call("merge", "--json", "--seeds", "1:7", first, last)
	assert.Equal(t, exitUsage, code)
	assert.Equal(t, []string{"1", "3", "4", "6"}, seedsOf(t, stdout))
	assert.Equal(t, "incomplete: 3 of 7 runs missing (the first: scenario steady, protocol raft, seed 2): merge every shard, or give the sweep's --seeds\n", stderr)

	failing := shard(0, "--protocol", "paxos", "--bug", "paxos-promise-omits-accepted", "--scenario", "leader-isolation")
	code, stdout, _ = call("merge", failing)
	assert.Equal(t, exitViolation, code)
	assert.Equal(t, 1, strings.Count(stdout, "verdict:"), stdout)
	assert.Regexp(t, `verdict: \d+ failing runs, and the merge is incomplete: 2 of 4 runs missing`, stdout)
}

// interruptAfter runs the command line and cancels its context when the
// after-th run has finished, as an interrupt would.
func interruptAfter(after int, args ...string) (int, string, string) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr bytes.Buffer
	inv := invocation{ctx: ctx, stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr,
		finished: func(done int) {
			if done == after {
				cancel()
			}
		}}
	code := inv.run(args)
	return code, stdout.String(), stderr.String()
}

// TestAnInterruptedSweepReportsTheRunsItFinished: workers finish the runs
// they are in and take no new ones; every finished run is reported, they
// are the first runs of the sweep, and the report says how far it got.
func TestAnInterruptedSweepReportsTheRunsItFinished(t *testing.T) {
	const total, after, workers = 40, 5, 2
	sweep := []string{"sweep", "--scenario", "steady", "--seeds", "1:40", "--workers", fmt.Sprint(workers)}

	code, stdout, stderr := interruptAfter(after, append(sweep, "--json")...)
	assert.Equal(t, exitInterrupted, code, stderr)
	seeds := seedsOf(t, stdout)
	require.GreaterOrEqual(t, len(seeds), after)
	require.Less(t, len(seeds), after+workers, "at most the runs under way finish after the interrupt")
	for i, seed := range seeds {
		assert.Equal(t, fmt.Sprint(i+1), seed, "the finished runs are the first ones, in order")
	}
	assert.Equal(t, fmt.Sprintf("interrupted: %d of %d runs done\n", len(seeds), total), stderr)
	want := sweepInto(t, "", append(slices.Clone(sweep[:len(sweep)-4]), "--seeds", fmt.Sprintf("1:%d", len(seeds)), "--json")...)
	assert.Equal(t, withoutWallTime(t, want.stdout), withoutWallTime(t, stdout), "the same runs as a sweep of those seeds")

	code, stdout, stderr = interruptAfter(after, sweep...)
	assert.Equal(t, exitInterrupted, code, stderr)
	assert.Empty(t, stderr)
	var done int
	last := stdout[strings.LastIndex(strings.TrimSpace(stdout), "\n")+1:]
	_, err := fmt.Sscanf(last, "interrupted: %d of 40 runs done\n", &done)
	require.NoError(t, err, "the last line: %q", last)
	assert.Contains(t, stdout, fmt.Sprintf("sweep: seeds 1:40, %d runs on 2 workers", done))
	assert.Regexp(t, fmt.Sprintf(`\n\s+steady\s+raft\s+%d\s+0\s`, done), stdout)
	assert.Contains(t, stdout, "verdict: ok, no violation\n")
}

func TestAnInterruptedSweepThatFoundAFailureExitsOne(t *testing.T) {
	code, stdout, stderr := interruptAfter(2, "sweep", "--protocol", "paxos", "--bug", "paxos-promise-omits-accepted",
		"--scenario", "leader-isolation", "--seeds", "1:30", "--workers", "2")
	assert.Equal(t, exitViolation, code, stderr)
	assert.Contains(t, stdout, "FAIL leader-isolation seed 1: safety")
	assert.Regexp(t, `\ninterrupted: [23] of 30 runs done\n$`, stdout)
}

func TestAnInterruptedBugHuntReportsWhatItFound(t *testing.T) {
	code, stdout, stderr := interruptAfter(3, "bugs", "--seeds", "1:20", "--bug", "paxos-promise-omits-accepted", "--workers", "2")
	assert.Equal(t, exitInterrupted, code, stderr)
	assert.Contains(t, stdout, "paxos-promise-omits-accepted")
	assert.Contains(t, stdout, "one-value-chosen", "seed 1 catches it")
	assert.Regexp(t, `\ninterrupted: [34] of \d+ runs done\n$`, stdout)
}

// TestNoProgressWithoutATerminal: stderr a file (or --json): nothing there.
func TestNoProgressWithoutATerminal(t *testing.T) {
	stderr, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
	require.NoError(t, err)
	defer stderr.Close()
	assert.False(t, isTerminal(stderr))
	assert.False(t, isTerminal(&bytes.Buffer{}))
	var stdout bytes.Buffer
	code := invocation{ctx: context.Background(), stdout: &stdout, stderr: stderr}.run([]string{"sweep", "--scenario", "steady", "--seeds", "1:3"})
	require.Equal(t, exitOK, code)
	info, err := stderr.Stat()
	require.NoError(t, err)
	assert.Zero(t, info.Size())
}

// TestTheProgressLineIsRedrawnInPlace drives the meter by hand (no clock).
func TestTheProgressLineIsRedrawnInPlace(t *testing.T) {
	var terminal bytes.Buffer
	m := &meter{label: "sweep", total: 400, ctx: context.Background(), terminal: &terminal}
	m.redraw(time.Second)
	assert.Equal(t, "\rsweep: 0/400 seeds (0%), 0 failing, 0.0 seeds/s, time left unknown", terminal.String())
	for i := range 100 {
		m.finished(scenarios.Result{Verdict: []string{"ok", "safety"}[min(i%50, 1)]})
	}
	terminal.Reset()
	m.redraw(10 * time.Second)
	assert.Equal(t, "\rsweep: 100/400 seeds (25%), 98 failing, 10.0 seeds/s, 30s left    ", terminal.String(),
		"a shorter line blanks the rest of the longer one")
	terminal.Reset()
	m.clear()
	assert.Equal(t, "\r"+strings.Repeat(" ", 66)+"\r", terminal.String())

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	m.ctx = ctx
	assert.Contains(t, m.line(time.Second), "interrupted: finishing the runs under way")
}

// TestProgressOnACharacterDeviceLeavesTheReportAlone: /dev/null is a
// character device, so the meter draws there; the report is unchanged.
func TestProgressOnACharacterDeviceLeavesTheReportAlone(t *testing.T) {
	devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Skipf("no %s: %v", os.DevNull, err)
	}
	defer devNull.Close()
	require.True(t, isTerminal(devNull))
	var stdout bytes.Buffer
	code := invocation{ctx: context.Background(), stdout: &stdout, stderr: devNull}.run([]string{"sweep", "--scenario", "steady", "--seeds", "1:6", "--json"})
	require.Equal(t, exitOK, code)
	assert.Equal(t, []string{"1", "2", "3", "4", "5", "6"}, seedsOf(t, stdout.String()))
	stdout.Reset()
	code = invocation{ctx: context.Background(), stdout: &stdout, stderr: devNull}.run([]string{"sweep", "--scenario", "steady", "--seeds", "1:6"})
	require.Equal(t, exitOK, code)
	assert.True(t, strings.HasPrefix(stdout.String(), "sweep: seeds 1:6, 6 runs"), stdout.String())
}
