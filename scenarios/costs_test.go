package scenarios

import (
	"flag"
	"fmt"
	"math"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/consim/consim/nodes/raft"
	"github.com/consim/consim/nodes/raftfacts"
)

// updateCosts rewrites testdata/costs.tsv from the current binary:
// go test ./scenarios -run TestCosts -update-costs
var updateCosts = flag.Bool("update-costs", false, "rewrite testdata/costs.tsv")

// costSeeds measures TestCosts over other seeds than CostSeeds, to see how
// far the figures move when the same protocol replays differently (what
// CostTolerance allows for): go test ./scenarios -run 'TestCosts$' -cost-seeds 11:20
var costSeeds = flag.String("cost-seeds", "", "measure TestCosts over these seeds (first:last) and print how far each figure moved")

const costFile = "testdata/costs.tsv"

// costJob is one row of the cost table to measure, with the options of its
// runs (a broken variant's bugs).
type costJob struct {
	protocol, scenario string
	options            Options
}

// measureCosts runs every job over seeds, on every core (one World per
// goroutine), and sums each job's runs into a row. Every run must pass
// every check: the costs of a failing run mean nothing.
func measureCosts(t *testing.T, jobs []costJob, seeds Seeds) []CostRow {
	t.Helper()
	type run struct {
		job  int
		seed uint64
	}
	var runs []run
	for i := range jobs {
		for _, seed := range seeds.All() {
			runs = append(runs, run{i, seed})
		}
	}
	results := make([]Result, len(runs))
	errs := make([]error, len(runs))
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				j := jobs[runs[i].job]
				s, err := Named(j.scenario)
				if err == nil {
					o := j.options
					o.Protocol, o.Seed = j.protocol, runs[i].seed
					results[i], err = Run(s, o)
				}
				errs[i] = err
			}
		}()
	}
	for i := range runs {
		next <- i
	}
	close(next)
	wg.Wait()

	byJob := make([][]Result, len(jobs))
	for i, r := range runs {
		require.NoError(t, errs[i])
		res := results[i]
		require.Equal(t, VerdictOK, res.Verdict, "%s: %v", res.ReproduceCommand(), res.Violations)
		byJob[r.job] = append(byJob[r.job], res)
	}
	rows := make([]CostRow, len(jobs))
	for i, j := range jobs {
		rows[i] = CostRowOf(j.protocol, j.scenario, seeds, byJob[i])
	}
	return rows
}

// costJobs are the rows of the cost table, with the given options.
func costJobs(protocols []string, o Options) []costJob {
	var jobs []costJob
	for _, protocol := range protocols {
		for _, scenario := range CostScenarios {
			jobs = append(jobs, costJob{protocol: protocol, scenario: scenario, options: o})
		}
	}
	return jobs
}

func readCosts(t *testing.T) []CostRow {
	t.Helper()
	data, err := os.ReadFile(costFile)
	require.NoError(t, err)
	rows, err := ParseCosts(costFile, data)
	require.NoError(t, err)
	return rows
}

// TestCosts measures the cost table again and requires every figure within
// CostTolerance of testdata/costs.tsv; -update-costs rewrites the file.
func TestCosts(t *testing.T) {
	seeds := CostSeeds
	if *costSeeds != "" {
		first, last, _ := strings.Cut(*costSeeds, ":")
		_, err := fmt.Sscan(first, &seeds.First)
		require.NoError(t, err, "-cost-seeds: want first:last")
		_, err = fmt.Sscan(last, &seeds.Last)
		require.NoError(t, err, "-cost-seeds: want first:last")
	}
	got := measureCosts(t, costJobs(CostProtocols, Options{}), seeds)
	if *updateCosts {
		require.Equal(t, CostSeeds, seeds, "-update-costs writes the table over CostSeeds only")
		require.NoError(t, os.WriteFile(costFile, FormatCosts(got), 0o644))
		return
	}
	want := readCosts(t)
	if seeds != CostSeeds {
		// Show how far every figure moved: what a replay of other seeds
		// does to a row, the scale CostTolerance allows for.
		for i := range want {
			want[i].Seeds = seeds
		}
		for _, c := range CompareCosts(want, got, 0) {
			t.Log(c)
		}
		return
	}
	changes := CompareCosts(want, got, CostTolerance)
	if len(changes) > 0 {
		lines := make([]string, len(changes))
		for i, c := range changes {
			lines[i] = c.String()
		}
		t.Errorf("%d figures of %s moved by more than %.0f%% (if the change is meant, regenerate the table: "+
			"go test ./scenarios -run TestCosts -update-costs, and review its diff):\n%s",
			len(changes), costFile, 100*CostTolerance, strings.Join(lines, "\n"))
	}
}

// TestCostsCatchBrokenVariants runs Raft variants that are correct (every
// check passes) but pay more than they should, and requires the cost
// comparison to fail on each, naming the figure that moved.
func TestCostsCatchBrokenVariants(t *testing.T) {
	want := readCosts(t)
	tests := []struct {
		name     string
		protocol string
		bugs     raft.Bugs
		// figure must move up on every scenario of the table.
		figure string
	}{
		{"snapshot after every entry", "raft+snapshot", raft.Bugs{SnapshotEveryEntry: true}, "snapshots/op"},
		{"double sync", "raft", raft.Bugs{DoubleSync: true}, "syncs/op"},
		{"extra read round", "raft+readindex", raft.Bugs{ExtraReadRound: true}, "messages/op"},
	}
	var jobs []costJob
	for _, tt := range tests {
		jobs = append(jobs, costJobs([]string{tt.protocol}, Options{RaftBugs: tt.bugs})...)
	}
	got := measureCosts(t, jobs, CostSeeds)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows := got[i*len(CostScenarios) : (i+1)*len(CostScenarios)]
			changes := CompareCosts(want, rows, CostTolerance)
			// Rows of the other protocols are not measured here.
			changes = slices.DeleteFunc(changes, func(c CostChange) bool { return math.IsNaN(c.New) })
			require.NotEmpty(t, changes, "the cost comparison passes %s", tt.name)
			for _, scenario := range CostScenarios {
				found := false
				for _, c := range changes {
					if c.Scenario == scenario && c.Figure == tt.figure {
						found = true
						assert.Greater(t, c.New, c.Old, "%s", c)
						assert.Contains(t, c.String(), tt.protocol+" on "+scenario+": "+tt.figure+" was ")
						t.Log(c)
					}
				}
				assert.True(t, found, "%s on %s: %s did not move beyond the tolerance: %v", tt.protocol, scenario, tt.figure, changes)
			}
		})
	}
}

func TestCompareCosts(t *testing.T) {
	// The figures in costFigures order: ops, events/op, messages/op,
	// syncs/op, disk_bytes/op, snapshots/op.
	row := func(protocol string, figures ...float64) CostRow {
		return CostRow{Protocol: protocol, Scenario: "steady", Seeds: Seeds{1, 10}, Figures: figures}
	}
	table := []CostRow{row("raft", 1000, 10, 5, 2, 100, 0)}
	tests := []struct {
		name string
		got  []CostRow
		want []string
	}{
		{"same", []CostRow{row("raft", 1000, 10, 5, 2, 100, 0)}, nil},
		{"within the tolerance, up and down", []CostRow{row("raft", 1019, 9.81, 5.1, 2, 98.5, 0)}, nil},
		{"beyond it", []CostRow{row("raft", 1000, 10.3, 5, 2, 100, 0)},
			[]string{"raft on steady: events/op was 10, is now 10.3 (+3.0%)"}},
		{"beyond it, down", []CostRow{row("raft", 970, 10, 5, 2, 100, 0)},
			[]string{"raft on steady: ops was 1000, is now 970 (-3.0%)"}},
		{"two figures", []CostRow{row("raft", 1000, 10, 5, 4, 100, 0.5)}, []string{
			"raft on steady: syncs/op was 2, is now 4 (+100.0%)",
			"raft on steady: snapshots/op was 0, is now 0.5",
		}},
		{"a row not in the table", []CostRow{row("raft", 1000, 10, 5, 2, 100, 0), row("paxos", 1, 1, 1, 1, 1, 0)},
			[]string{"paxos on steady: not in the cost table (regenerate it)"}},
		{"a row no longer measured", nil,
			[]string{"raft on steady: in the cost table but no longer measured (regenerate it)"}},
		{"other seeds", []CostRow{{Protocol: "raft", Scenario: "steady", Seeds: Seeds{1, 20}, Figures: []float64{1000, 10, 5, 2, 100, 0}}},
			[]string{"raft on steady: seeds changed (regenerate the table)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, c := range CompareCosts(table, tt.got, 0.02) {
				got = append(got, c.String())
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParseCosts(t *testing.T) {
	rows := []CostRow{
		{Protocol: "raft", Scenario: "steady", Seeds: Seeds{1, 10}, Figures: []float64{5470, 13.75, 12.5, 6.47, 190.8, 0.0365}},
		{Protocol: "paxos", Scenario: "lossy", Seeds: Seeds{3, 4}, Figures: []float64{1, 2, 3, 4, 5, 0}},
	}
	parsed, err := ParseCosts("t.tsv", FormatCosts(rows))
	require.NoError(t, err)
	assert.Equal(t, rows, parsed, "FormatCosts and ParseCosts round-trip")

	header := "protocol\tscenario\tseeds\tops\tevents/op\tmessages/op\tsyncs/op\tdisk_bytes/op\tsnapshots/op\n"
	bad := []struct {
		name, data, want string
	}{
		{"no header", "# a comment\n", "t.tsv: no header line"},
		{"wrong header", "protocol\tscenario\n", "t.tsv:1: header: want the columns protocol,scenario,seeds,ops"},
		{"short row", header + "raft\tsteady\t1:10\t1\n", "t.tsv:2: want 9 columns"},
		{"bad seeds", header + "raft\tsteady\t10\t1\t1\t1\t1\t1\t1\n", `t.tsv:2: seeds: want first:last, got "10"`},
		{"backwards seeds", header + "raft\tsteady\t10:1\t1\t1\t1\t1\t1\t1\n", `t.tsv:2: seeds: want first:last, got "10:1"`},
		{"bad figure", header + "raft\tsteady\t1:10\t1\t1\tmany\t1\t1\t1\n", `t.tsv:2: messages/op: want a non-negative number, got "many"`},
		{"negative figure", header + "raft\tsteady\t1:10\t1\t1\t1\t1\t1\t-1\n", `t.tsv:2: snapshots/op: want a non-negative number, got "-1"`},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseCosts("t.tsv", []byte(tt.data))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// TestCostCounterSnapshots counts a snapshot when a server's snapshot
// index rises, not when a restart reports the recovered one again.
func TestCostCounterSnapshots(t *testing.T) {
	var c costCounter
	c.observe(1, raftfacts.SnapshotFact{Index: 128})
	c.observe(2, &raftfacts.SnapshotFact{Index: 128}) // installed from the leader
	c.observe(1, raftfacts.SnapshotFact{Index: 128})  // recovered at a restart
	c.observe(1, raftfacts.HardStateFact{Term: 3})
	c.observe(1, raftfacts.SnapshotFact{Index: 256})
	assert.Equal(t, uint64(3), c.snapshots)
}
