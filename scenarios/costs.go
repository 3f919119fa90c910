package scenarios

// Cost checks (issue 16, item 5). A run's message, sync, byte, snapshot and
// event counts are deterministic per seed, so a cost regression (a snapshot
// after every entry, an extra read round, a redundant sync) shows as an
// exact change of a count, without timing anything. The cost table
// (testdata/costs.tsv) holds, for every protocol and feature set of
// CostProtocols and every scenario of CostScenarios, the counts per
// completed operation summed over CostSeeds; TestCosts measures them again
// and fails when one moves by more than CostTolerance. An intended change of
// cost is a deliberate regeneration of the table, reviewed in its diff:
//
//	go test ./scenarios -run TestCosts -update-costs
//
// Counting only observes: it reads the disks' counters, the network's
// statistics and the facts the nodes report anyway, and adds no event, draw
// or message, so it changes no fingerprint.

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/consim/consim/nodes"
	"github.com/consim/consim/nodes/host"
	"github.com/consim/consim/nodes/raftfacts"
)

// Costs counts what the servers of a run spent beyond the network's own
// counters (Result.Network) and the World's events (Result.Events).
type Costs struct {
	// Syncs counts the servers' disk syncs: Storage.Sync and
	// Storage.Replace calls (a compacted log is written and made durable
	// at once: an fsync on a real disk).
	Syncs uint64 `json:"syncs"`
	// DiskBytes counts the bytes the servers wrote to their disks
	// (appended records and the records of every Replace).
	DiskBytes uint64 `json:"disk_bytes"`
	// Snapshots counts the snapshots the servers made durable: each time a
	// server reports a raftfacts.SnapshotFact above the highest snapshot
	// index it reported before (Raft §7: its own compaction, or an
	// InstallSnapshot from the leader). A snapshot recovered at a restart
	// is reported again at the same index and is not counted again.
	// Protocols that report no snapshot (paxos, etcd: the adapter never
	// compacts) count 0.
	Snapshots uint64 `json:"snapshots"`
}

// costCounter counts the snapshots of a run as the facts come in.
type costCounter struct {
	snapshots uint64
	// snapshotIndex[id] is the highest snapshot index server id reported.
	snapshotIndex []uint64
}

// observe counts f if it reports a new snapshot.
func (c *costCounter) observe(node nodes.ID, f nodes.Fact) {
	var index uint64
	switch f := f.(type) {
	case raftfacts.SnapshotFact:
		index = f.Index
	case *raftfacts.SnapshotFact:
		index = f.Index
	default:
		return
	}
	for int(node) >= len(c.snapshotIndex) {
		c.snapshotIndex = append(c.snapshotIndex, 0)
	}
	if index > c.snapshotIndex[node] {
		c.snapshotIndex[node] = index
		c.snapshots++
	}
}

// total reads the servers' disk counters and adds the snapshots counted.
func (c *costCounter) total(h *host.Host) Costs {
	costs := Costs{Snapshots: c.snapshots}
	for _, id := range h.Servers() {
		disk := h.Proc(id).Disk()
		costs.Syncs += uint64(disk.Syncs)
		costs.DiskBytes += disk.BytesWritten
	}
	return costs
}

// CostProtocols are the protocols the cost table covers: every consensus
// protocol, Raft bare, with each feature on its own (lease needs
// checkquorum and readindex) and with all of them. primary-backup, a
// baseline, is left out.
var CostProtocols = []string{
	"raft", "raft+prevote", "raft+checkquorum", "raft+readindex", "raft+checkquorum+readindex+lease",
	"raft+snapshot", "raft+prevote+checkquorum+readindex+lease+snapshot", "paxos", "etcd",
}

// CostScenarios are the scenarios the cost table covers: steady (no faults:
// what every operation costs when nothing goes wrong) and lossy (lost,
// duplicated and reordered messages: what retransmission and recovery cost).
var CostScenarios = []string{"steady", "lossy"}

// CostSeeds are the seeds every row of the cost table sums over.
var CostSeeds = Seeds{First: 1, Last: 10}

// Seeds is an inclusive range of seeds, written first:last.
type Seeds struct{ First, Last uint64 }

func (s Seeds) String() string { return fmt.Sprintf("%d:%d", s.First, s.Last) }

// All lists the seeds of the range.
func (s Seeds) All() []uint64 {
	var seeds []uint64
	for seed := s.First; seed <= s.Last; seed++ {
		seeds = append(seeds, seed)
	}
	return seeds
}

// CostTolerance is how far, relative to the table, a figure of the cost
// table may move before TestCosts fails: 2%.
//
// The figures are exact: the same binary measures the same numbers, so the
// tolerance is not for noise. It lets through a change that makes a few runs
// play differently (a rare path: one recovery, one seed of a row) without
// changing what an operation costs: one seed of the ten replaced by another
// moves no figure by more than 1.3% (-cost-seeds 2:11). A change that makes
// every run play differently moves figures as a replay of other seeds does,
// up to 3% (ops up to 6% in lossy, snapshots/op up to 13%, as snapshots come
// every 128 entries: -cost-seeds 11:20), and must regenerate the table, as
// it must regenerate the fingerprint file; the diff shows what moved. The
// regressions the issue names move a figure far more: a snapshot after
// every entry multiplies snapshots per operation by about a hundred, a
// redundant sync doubles syncs per operation, an extra read round adds a
// tenth or more to messages per operation (TestCostsCatchBrokenVariants).
// A figure that was 0 must stay 0.
const CostTolerance = 0.02

// costFigure is a column of the cost table.
type costFigure struct {
	// Name is the column's name; doc says what it counts.
	Name, doc string
	// value computes the figure from a row's totals.
	value func(t costTotals) float64
}

// costTotals are a row's counts summed over its seeds.
type costTotals struct {
	ops, events, messages, syncs, diskBytes, snapshots uint64
}

// perOp divides a total by the operations completed.
func (t costTotals) perOp(n uint64) float64 { return float64(n) / float64(max(t.ops, 1)) }

// costFigures are the cost table's figures, in column order.
var costFigures = []costFigure{
	{"ops", "client operations completed (Result.OpsOK)",
		func(t costTotals) float64 { return float64(t.ops) }},
	{"events/op", "World events (Result.Events)",
		func(t costTotals) float64 { return t.perOp(t.events) }},
	{"messages/op", "messages sent, clients' included (Result.Network.Sent)",
		func(t costTotals) float64 { return t.perOp(t.messages) }},
	{"syncs/op", "the servers' disk syncs (Costs.Syncs)",
		func(t costTotals) float64 { return t.perOp(t.syncs) }},
	{"disk_bytes/op", "bytes the servers wrote to disk (Costs.DiskBytes)",
		func(t costTotals) float64 { return t.perOp(t.diskBytes) }},
	{"snapshots/op", "snapshots the servers made durable (Costs.Snapshots)",
		func(t costTotals) float64 { return t.perOp(t.snapshots) }},
}

// CostFigureNames lists the figures of a cost row, in column order.
func CostFigureNames() []string {
	names := make([]string, len(costFigures))
	for i, f := range costFigures {
		names[i] = f.Name
	}
	return names
}

// CostRow is a line of the cost table: a protocol on a scenario over a
// range of seeds, and its figures (in costFigures order).
type CostRow struct {
	Protocol, Scenario string
	Seeds              Seeds
	Figures            []float64
}

func (r CostRow) key() string { return r.Protocol + " " + r.Scenario }

// CostRowOf sums the results of one protocol on one scenario over seeds
// into a row of the cost table.
func CostRowOf(protocol, scenario string, seeds Seeds, results []Result) CostRow {
	var t costTotals
	for _, res := range results {
		t.ops += uint64(res.OpsOK)
		t.events += res.Events
		t.messages += res.Network.Sent
		t.syncs += res.Costs.Syncs
		t.diskBytes += res.Costs.DiskBytes
		t.snapshots += res.Costs.Snapshots
	}
	row := CostRow{Protocol: protocol, Scenario: scenario, Seeds: seeds}
	for _, f := range costFigures {
		row.Figures = append(row.Figures, f.value(t))
	}
	return row
}

// CostChange is a figure of the cost table that moved beyond the
// tolerance, or a row that is in one table and not the other (Figure
// empty, Old or New NaN).
type CostChange struct {
	Protocol, Scenario, Figure string
	Old, New                   float64
}

func (c CostChange) String() string {
	switch {
	case math.IsNaN(c.Old):
		return fmt.Sprintf("%s on %s: not in the cost table (regenerate it)", c.Protocol, c.Scenario)
	case math.IsNaN(c.New):
		return fmt.Sprintf("%s on %s: in the cost table but no longer measured (regenerate it)", c.Protocol, c.Scenario)
	case c.Figure == "seeds":
		return fmt.Sprintf("%s on %s: seeds changed (regenerate the table)", c.Protocol, c.Scenario)
	case c.Old == 0:
		return fmt.Sprintf("%s on %s: %s was 0, is now %s", c.Protocol, c.Scenario, c.Figure, formatFigure(c.New))
	}
	return fmt.Sprintf("%s on %s: %s was %s, is now %s (%+.1f%%)", c.Protocol, c.Scenario, c.Figure,
		formatFigure(c.Old), formatFigure(c.New), 100*(c.New-c.Old)/c.Old)
}

// CompareCosts compares the measured rows got with the table want and
// returns every figure that moved by more than tolerance relative to the
// table (a figure of 0 moves by any change), and every row in one and not
// the other, in got's order, then want's.
func CompareCosts(want, got []CostRow, tolerance float64) []CostChange {
	wanted := map[string]CostRow{}
	for _, row := range want {
		wanted[row.key()] = row
	}
	measured := map[string]bool{}
	var changes []CostChange
	for _, row := range got {
		measured[row.key()] = true
		old, ok := wanted[row.key()]
		switch {
		case !ok:
			changes = append(changes, CostChange{Protocol: row.Protocol, Scenario: row.Scenario, Old: math.NaN()})
			continue
		case old.Seeds != row.Seeds:
			changes = append(changes, CostChange{Protocol: row.Protocol, Scenario: row.Scenario, Figure: "seeds"})
			continue
		}
		for i, f := range costFigures {
			if moved(old.Figures[i], row.Figures[i], tolerance) {
				changes = append(changes, CostChange{Protocol: row.Protocol, Scenario: row.Scenario, Figure: f.Name,
					Old: old.Figures[i], New: row.Figures[i]})
			}
		}
	}
	for _, row := range want {
		if !measured[row.key()] {
			changes = append(changes, CostChange{Protocol: row.Protocol, Scenario: row.Scenario, New: math.NaN()})
		}
	}
	return changes
}

// moved reports whether a figure moved from old to new by more than
// tolerance relative to old.
func moved(old, new, tolerance float64) bool {
	return math.Abs(new-old) > tolerance*math.Abs(old) || (old == 0 && new != 0)
}

// costHeader is the comment that opens the cost table.
const costHeader = `# Cost table (issue 16): what every completed client operation costs, per
# protocol and scenario, summed over the seeds of the row. Every figure is
# exact for a given binary; TestCosts fails when one moves by more than
# scenarios.CostTolerance. Regenerate it only for a change meant to alter
# costs, and read the diff:
#   go test ./scenarios -run TestCosts -update-costs
`

// FormatCosts writes the cost table: a comment, a header line naming the
// columns, and a tab-separated line per row.
func FormatCosts(rows []CostRow) []byte {
	var b bytes.Buffer
	b.WriteString(costHeader)
	for _, f := range costFigures {
		fmt.Fprintf(&b, "#   %-14s %s\n", f.Name, f.doc)
	}
	b.WriteString(strings.Join(append([]string{"protocol", "scenario", "seeds"}, CostFigureNames()...), "\t"))
	b.WriteByte('\n')
	for _, row := range rows {
		fields := []string{row.Protocol, row.Scenario, row.Seeds.String()}
		for _, v := range row.Figures {
			fields = append(fields, formatFigure(v))
		}
		b.WriteString(strings.Join(fields, "\t"))
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// formatFigure writes a figure with six significant digits: enough that
// rounding never counts against the tolerance.
func formatFigure(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }

// ParseCosts reads a cost table written by FormatCosts; name is the file's
// name for errors, which give the line and the column.
func ParseCosts(name string, data []byte) ([]CostRow, error) {
	columns := append([]string{"protocol", "scenario", "seeds"}, CostFigureNames()...)
	var rows []CostRow
	header := false
	lines := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; lines.Scan(); n++ {
		line := lines.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Split(line, "\t")
		if !header {
			if strings.Join(fields, "\t") != strings.Join(columns, "\t") {
				return nil, fmt.Errorf("%s:%d: header: want the columns %s, got %s", name, n,
					strings.Join(columns, ","), strings.Join(fields, ","))
			}
			header = true
			continue
		}
		if len(fields) != len(columns) {
			return nil, fmt.Errorf("%s:%d: want %d columns (%s), got %d", name, n, len(columns), strings.Join(columns, ","), len(fields))
		}
		row := CostRow{Protocol: fields[0], Scenario: fields[1]}
		first, last, ok := strings.Cut(fields[2], ":")
		var errFirst, errLast error
		row.Seeds.First, errFirst = strconv.ParseUint(first, 10, 64)
		row.Seeds.Last, errLast = strconv.ParseUint(last, 10, 64)
		if !ok || errFirst != nil || errLast != nil || row.Seeds.First > row.Seeds.Last {
			return nil, fmt.Errorf("%s:%d: seeds: want first:last, got %q", name, n, fields[2])
		}
		for i, field := range fields[3:] {
			v, err := strconv.ParseFloat(field, 64)
			if err != nil || v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("%s:%d: %s: want a non-negative number, got %q", name, n, columns[3+i], field)
			}
			row.Figures = append(row.Figures, v)
		}
		rows = append(rows, row)
	}
	if err := lines.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if !header {
		return nil, fmt.Errorf("%s: no header line (%s)", name, strings.Join(columns, ","))
	}
	return rows, nil
}
