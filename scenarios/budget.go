package scenarios

// The memory budget of one run (Options.MemoryBudget). A run holds, and
// its judging then needs, memory that grows without bound with the run's
// length and load: the client history, every server's log and disk, the
// online checkers' records of them, queued events (messages in flight,
// timers), the backlogs of paused nodes, and Porcupine's search, whose
// cache of visited states holds one bitset of the partition's operations
// per linearized operation, n²/8 bytes for a partition of n operations.
// The runner estimates all of it from counts (never from the Go runtime's
// statistics: the estimate must not depend on the machine, the garbage
// collector or other runs of the process) and stops the World when the
// estimate exceeds the budget. The run then gets the verdict "budget": not
// a pass, not a protocol failure either.

import (
	"fmt"

	"github.com/consim/consim/checker"
	"github.com/consim/consim/nodes"
	"github.com/consim/consim/nodes/client"
	"github.com/consim/consim/nodes/kv"
	"github.com/consim/consim/sim"
)

// DefaultMemoryBudget is a run's memory budget when Options.MemoryBudget
// is zero: 512 MiB. Every named scenario and regression case uses a tenth
// of it or less (the largest estimate, of a scenario at the longest
// duration accepted with the default workload, is about 300 MiB).
const DefaultMemoryBudget = 512 << 20

// MinMemoryBudget is the smallest budget a run accepts: below it the
// estimate's fixed costs are most of the budget.
const MinMemoryBudget = 16 << 20

// The estimate's unit costs, in bytes, measured (heap in use after a
// collection, Go 1.26, raft, paxos and etcd) and rounded up so that the
// estimate exceeds what a run holds.
const (
	// opBytes is one operation of the history: the client's record, its
	// command and result, and Porcupine's copy of it.
	opBytes = 1024
	// recordBytes is one record on one server's disk (a log entry, a vote,
	// an accepted value): the disk's copy, the node's in-memory copy and
	// the online checkers' record of it.
	recordBytes = 640
	// eventBytes is one queued event or one input waiting for a paused node.
	eventBytes = 256
	// firedEventBytes covers what grows slowly with activity, per event
	// fired (checker bookkeeping, network and node counters).
	firedEventBytes = 16
)

// traceShare is the part of the budget the kept trace may use, besides the
// run's own estimate (Options.Trace; a failure's artifacts). Past it the
// trace is truncated and the run goes on: a traced run is the same run.
const traceShare = 4

// memoryBudget is the budget of o in bytes.
func (o Options) memoryBudget() uint64 {
	if o.MemoryBudget > 0 {
		return uint64(o.MemoryBudget)
	}
	return DefaultMemoryBudget
}

// budgetLimits are the World's limits for the run r: its duration, and
// the budget with r's meter.
func budgetLimits(s Scenario, o Options, m *meter) sim.Limits {
	budget := o.memoryBudget()
	return sim.Limits{MaxTime: s.Duration, Meter: m, MaxUsage: budget, MaxTraceBytes: budget / traceShare}
}

// meter estimates what a run holds (sim.Meter). It reads the history as it
// grows, counting operations per key for Porcupine's share.
type meter struct {
	run     *run
	history *client.History
	// read is how many operations of the history the meter has counted;
	// perKey counts the checked operations per key, and squares is the
	// sum over keys of perKey², kept as the counts grow.
	read    int
	perKey  map[string]uint64
	squares uint64
	// last is the latest reading, for the budget violation's detail.
	last usage
}

// usage is one reading of the meter, with the counts behind it.
type usage struct {
	total, ops, records, queued uint64
	porcupine                   uint64
}

func newMeter(r *run, history *client.History) *meter {
	return &meter{run: r, history: history, perKey: map[string]uint64{}}
}

// Usage implements sim.Meter.
func (m *meter) Usage() uint64 {
	for _, op := range m.history.Ops[m.read:] {
		m.count(op)
	}
	m.read = len(m.history.Ops)
	u := usage{ops: uint64(m.read), queued: uint64(m.run.world.Pending())}
	for _, id := range m.run.host.Servers() {
		p := m.run.host.Proc(id)
		u.records += uint64(len(p.Disk().Records()))
		u.queued += uint64(p.Backlog())
	}
	// Porcupine: a bitset of n bits per visited state, about one state per
	// operation of a partition of n (n²/8 bytes), for every key at once.
	u.porcupine = m.squares / 8
	u.total = u.ops*opBytes + u.records*recordBytes + u.queued*eventBytes +
		m.run.world.Events()*firedEventBytes + u.porcupine
	m.last = u
	return u.total
}

// count adds one operation of the history to its key's partition, as
// checker.CheckLinearizable builds them (a get of unknown outcome is left
// out).
func (m *meter) count(op client.Op) {
	if !op.Completed && op.Cmd.Op == kv.OpGet {
		return
	}
	n := m.perKey[op.Cmd.Key]
	m.perKey[op.Cmd.Key] = n + 1
	m.squares += 2*n + 1
}

// searchBudget is what the run's budget leaves the linearizability check's
// search once the run is over: the budget less what the run holds without
// the search (the run and its history stay in memory while it is judged),
// and at least an eighth of the budget.
func (r *run) searchBudget() uint64 {
	budget := r.options.memoryBudget()
	r.meter.Usage()
	held := r.meter.last.total - r.meter.last.porcupine
	if held >= budget-budget/8 {
		return budget / 8
	}
	return budget - held
}

// budgetViolation is the verdict of a run the budget stopped.
func (r *run) budgetViolation(m *meter) checker.Violation {
	u := m.last
	return checker.Violation{
		Invariant: checker.InvariantMemoryBudget,
		Class:     checker.ClassBudget,
		At:        r.world.Now(),
		Nodes:     []nodes.ID{},
		Seed:      r.options.Seed,
		Detail: fmt.Sprintf("the run reached its memory budget of %s at %v of %v simulated (estimated %s: %d operations, %d disk records on %d servers, %d queued events, %s for the linearizability check) and was stopped; safety invariants held until then, linearizability and liveness were not checked. Raise the budget with --max-memory (Options.MemoryBudget), or shorten the run or lighten its load",
			FormatBytes(r.options.memoryBudget()), r.world.Now(), r.scenario.Duration,
			FormatBytes(u.total), u.ops, u.records, r.scenario.Servers, u.queued, FormatBytes(u.porcupine)),
	}
}

// FormatBytes writes n as a size in binary units: 512MiB, 1.5GiB, 900KiB.
func FormatBytes(n uint64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	value, unit := float64(n), 0
	for value >= 1024 && unit < len(units)-1 {
		value /= 1024
		unit++
	}
	if value == float64(int64(value)) {
		return fmt.Sprintf("%d%s", int64(value), units[unit])
	}
	return fmt.Sprintf("%.1f%s", value, units[unit])
}

// LimitFlags are the simrun flags that give a run the memory budget and
// linearizability timeout it ran with, when they were not the defaults
// ("" when they were), for its reproduce command: a run's verdict can
// depend on them.
func (r Result) LimitFlags() string {
	flags := ""
	if r.MemoryBudget != 0 {
		flags += " --max-memory " + exactBytes(uint64(r.MemoryBudget))
	}
	if r.LinearizabilityTimeout != 0 {
		flags += " --linearizability-timeout " + r.LinearizabilityTimeout.String()
	}
	return flags
}

// exactBytes writes n in the largest binary unit that divides it, so that
// it reads back as exactly n: 512MiB, 1536MiB, 1000000000B.
func exactBytes(n uint64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	unit := 0
	for n != 0 && n%1024 == 0 && unit < len(units)-1 {
		n /= 1024
		unit++
	}
	return fmt.Sprintf("%d%s", n, units[unit])
}
