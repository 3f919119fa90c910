package scenarios

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/consim/consim/checker"
	"github.com/consim/consim/network"
	"github.com/consim/consim/nodes"
	"github.com/consim/consim/nodes/client"
	"github.com/consim/consim/nodes/host"
	"github.com/consim/consim/nodes/kv"
	"github.com/consim/consim/nodes/paxos"
	"github.com/consim/consim/nodes/raft"
	"github.com/consim/consim/sim"
)

// Options are the per-run settings that are not part of the scenario.
type Options struct {
	Protocol string
	Seed     uint64
	// Trace keeps every event in memory (Result.Trace).
	Trace bool
	// RaftBugs switches on deliberately broken Raft variants.
	RaftBugs raft.Bugs
	// PaxosBugs switches on deliberately broken Multi-Paxos variants.
	PaxosBugs paxos.Bugs
	// Bug names a catalog entry (see Bugs) to switch on; it must break
	// Protocol.
	Bug string
	// LinearizabilityTimeout bounds the Porcupine check (wall time); a
	// check that runs out is reported as "unknown", never as a pass.
	// Zero means DefaultLinearizabilityTimeout.
	LinearizabilityTimeout time.Duration
	// MemoryBudget bounds what the run may hold, in bytes, as estimated
	// from its counts (see budget.go); a run that reaches it stops with the
	// verdict "budget". Zero means DefaultMemoryBudget.
	MemoryBudget int64

	// maxClockDrift is the largest factor by which the scenario's drift
	// faults make a server's timers run fast or slow (see maxClockDrift);
	// Run sets it for the protocol's configuration (raft.Config's
	// MaxClockDrift, which bounds a leader lease).
	maxClockDrift float64
}

// DefaultLinearizabilityTimeout bounds the Porcupine check of one run.
const DefaultLinearizabilityTimeout = 20 * time.Second

// Verdicts name the outcome of a run. Every non-ok verdict is a failure.
const (
	VerdictOK = "ok"
)

// Result is what one run found.
type Result struct {
	Protocol    string        `json:"protocol"`
	Bug         string        `json:"bug,omitempty"`
	Scenario    string        `json:"scenario"`
	Seed        uint64        `json:"seed"`
	Verdict     string        `json:"verdict"`
	Fingerprint string        `json:"fingerprint"`
	Events      uint64        `json:"events"`
	SimTime     time.Duration `json:"sim_time_ns"`
	// Stop says why the World stopped.
	Stop          string              `json:"stop"`
	OpsOK         int                 `json:"ops_ok"`
	OpsUnknown    int                 `json:"ops_unknown"`
	LatencyP50    time.Duration       `json:"latency_p50_ns"`
	LatencyP99    time.Duration       `json:"latency_p99_ns"`
	LeaderChanges int                 `json:"leader_changes"`
	MaxEpoch      uint64              `json:"max_epoch"` // the highest term or ballot epoch a server reported
	Committed     uint64              `json:"committed"`
	Network       network.Stats       `json:"network"`
	Violations    []checker.Violation `json:"violations"`
	// Swarm says the faults were drawn from the seed (see Played).
	Swarm bool `json:"swarm,omitempty"`
	// Halts counts nodes that refused a corrupt disk and stopped.
	Halts int `json:"halts"`
	// Costs counts what the servers spent on disk and snapshots (see
	// costs.go).
	Costs Costs `json:"costs"`
	// TraceTruncated says the kept trace stopped at its share of the
	// memory budget: Trace is then a prefix of the run.
	TraceTruncated bool `json:"trace_truncated,omitempty"`
	// MemoryEstimate is what the run held at its end, in bytes, as its
	// memory budget estimates it (see budget.go): deterministic, unlike
	// the process's memory.
	MemoryEstimate uint64 `json:"memory_estimate"`
	// MemoryBudget and LinearizabilityTimeout are the run's Options when
	// they were set (zero: the defaults), so that its reproduce command
	// gives them too (LimitFlags).
	MemoryBudget           int64         `json:"memory_budget,omitempty"`
	LinearizabilityTimeout time.Duration `json:"linearizability_timeout_ns,omitempty"`
	// Played is the scenario as played: a swarm scenario's drawn faults
	// written out (and Swarm off), so that it replays the same run without
	// swarm mode and can be saved as a regression.
	Played Scenario `json:"-"`
	// WallTime is how long the run took on this machine, set by callers
	// that time it (simrun); Run itself never reads the wall clock. It is
	// the only field that differs between two runs of the same seed.
	WallTime time.Duration `json:"wall_ns"`
	// Timeline counts the operations completed in each TimelineBin of
	// simulated time (see timeline.go), and LatencyCounts the completed
	// operations' latencies on a fixed log scale: what a sweep's report
	// charts once History is shed. Neither touches the run.
	Timeline      []int `json:"timeline,omitempty"`
	LatencyCounts []int `json:"latency_counts,omitempty"`

	History         []client.Op                   `json:"-"`
	Trace           []sim.Record                  `json:"-"`
	Linearizability checker.LinearizabilityResult `json:"-"`
}

// Shed drops the history, trace and linearization details, keeping the
// figures and violations: what a sweep holds on to per failing run.
func (r *Result) Shed() {
	r.History, r.Trace, r.Linearizability = nil, nil, checker.LinearizabilityResult{}
}

// Failed reports whether the run found a problem.
func (r Result) Failed() bool { return r.Verdict != VerdictOK }

// ReproduceCommand is the simrun command line that replays this run.
// It starts with Program.
func (r Result) ReproduceCommand() string {
	return runCommandLine(r.Protocol, r.Bug, "--scenario "+shellWord(r.Scenario), r.Seed) + r.LimitFlags()
}

// run is the state of one run: it is the host's Observer and the handler
// of fault events.
type run struct {
	scenario Scenario
	options  Options
	world    *sim.World
	host     *host.Host
	net      *network.Network
	online   []checker.Online
	avail    *availabilityTracker
	faults   []Fault
	faultRng *rand.Rand

	// leader is the server that most recently became leader and has not
	// stepped down or crashed since (0 if none); lastLeader is the most
	// recent leader even if it has.
	leader, lastLeader nodes.ID
	leaderEpoch        uint64
	leaderChanges      int
	halts              int
	// maxEpoch is the highest epoch any RoleChanged fact carried.
	maxEpoch uint64
	// roles is each server's last reported role, for stuck reports.
	roles map[nodes.ID]nodes.RoleChanged
	// lastDelivered and lastActivity are the watchdog's memory.
	lastDelivered uint64
	lastActivity  time.Duration
	// committed is the highest log index (or slot) any replica applied.
	committed  uint64
	violations []checker.Violation
	// costs counts snapshots as they are reported (costCounter.observe).
	costs costCounter
	// end collects what the end-of-run checks need (endchecks.go).
	end endChecks
	// meter estimates what the run holds, for its memory budget.
	meter *meter
	// effects collects what the feature-effect checks judge (effect.go).
	effects *effects
}

// Codes of the runner's own events (fault events carry the fault's index).
const (
	faultsEndCode = -1 // the liveness phase starts
	watchdogCode  = -2 // check that something still happens
	// operatorCode delivers an operator's request (Payload, a
	// nodes.Message) from From to To, right after the fault that made it.
	operatorCode = -3
)

// Run simulates s under o and judges the result. It returns an error only
// for bad input (unknown protocol, invalid scenario); everything the run
// finds is in the Result.
func Run(s Scenario, o Options) (Result, error) {
	if err := s.Validate(); err != nil {
		return Result{}, fmt.Errorf("scenario %s: %w", s.Name, err)
	}
	proto, err := LookupProtocol(o.Protocol)
	if err != nil {
		return Result{}, err
	}
	if err := applyBug(&o); err != nil {
		return Result{}, err
	}
	played := Draw(s, o.Seed)
	o.maxClockDrift = maxClockDrift(played.Faults)
	newServer, err := proto.NewServer(o)
	if err != nil {
		return Result{}, fmt.Errorf("protocol %s: %w", o.Protocol, err)
	}
	r := &run{scenario: s, options: o, roles: map[nodes.ID]nodes.RoleChanged{}, end: newEndChecks(s)}
	history := &client.History{}
	r.meter = newMeter(r, history)
	r.world = sim.New(o.Seed, budgetLimits(s, o, r.meter))
	if o.Trace {
		r.world.EnableTrace()
	}
	r.faultRng = r.world.Stream("faults")
	r.faults = slices.Clone(played.Faults)
	slices.SortStableFunc(r.faults, func(a, b Fault) int { return cmp.Compare(a.At, b.At) })

	makers := make([]func() nodes.Node, 0, s.Servers+s.Clients)
	for range s.Servers {
		makers = append(makers, newServer)
	}
	for range s.Clients {
		makers = append(makers, func() nodes.Node { return client.New(s.Workload, history) })
	}
	r.host = host.New(r.world, s.Servers, makers, r)
	r.net = network.New(r.world, s.Network, s.Servers, s.Servers+s.Clients, r.host)
	r.host.SetNetwork(r.net)
	r.online = append(proto.Checkers(r.host.Servers(), o), checker.NewApplied())
	r.avail = newAvailabilityTracker(r.host, r.net, s.Servers, s.Servers+s.Clients)
	r.effects = newEffects(proto, s, o)
	r.effects.note(r)

	for i, f := range r.faults {
		r.world.Schedule(f.At, sim.Event{Handler: r, Code: i})
	}
	r.world.Schedule(s.FaultsEnd(), sim.Event{Handler: r, Code: faultsEndCode})
	r.world.Schedule(s.LivenessWindow, sim.Event{Handler: r, Code: watchdogCode})
	r.host.Boot()
	r.avail.snapshot(r.world.Now())
	stop := r.world.Run()

	for id := s.Servers + 1; id <= s.Servers+s.Clients; id++ {
		if op, pending := r.host.Proc(nodes.ID(id)).Node().(*client.Client).Pending(); pending {
			history.Ops = append(history.Ops, op)
		}
	}
	res := r.judge(history.Ops, stop)
	res.Protocol, res.Bug, res.Scenario, res.Seed = proto.Name, o.Bug, s.Name, o.Seed
	res.Played, res.Swarm = played, s.Swarm
	res.Halts = r.halts
	res.Costs = r.costs.total(r.host)
	res.TraceTruncated = r.world.TraceTruncated()
	res.MemoryEstimate = r.meter.Usage()
	res.MemoryBudget, res.LinearizabilityTimeout = o.MemoryBudget, o.LinearizabilityTimeout
	return res, nil
}

// judge runs the after-the-fact checkers and assembles the result.
func (r *run) judge(history []client.Op, stop sim.StopReason) Result {
	w := r.world
	res := Result{
		Fingerprint:   fmt.Sprintf("%016x", w.Fingerprint()),
		Events:        w.Events(),
		SimTime:       w.Now(),
		Stop:          string(stop),
		LeaderChanges: r.leaderChanges,
		MaxEpoch:      r.maxEpoch,
		Committed:     r.committed,
		Network:       r.net.Stats(),
		History:       history,
		Trace:         w.Trace(),
	}
	var latencies []time.Duration
	for _, op := range history {
		if op.Completed {
			res.OpsOK++
			latencies = append(latencies, op.Return-op.Call)
		} else {
			res.OpsUnknown++
		}
	}
	slices.Sort(latencies)
	res.LatencyP50 = percentile(latencies, 50)
	res.LatencyP99 = percentile(latencies, 99)
	res.Timeline, res.LatencyCounts = timeline(history, w.Now()), latencyCounts(latencies)
	if stop == sim.StopBudget {
		// Stopped part way: judged only by the online checkers, which held.
		res.Violations = append(r.violations, r.budgetViolation(r.meter))
		res.Verdict = verdict(res.Violations)
		return res
	}

	timeout := r.options.LinearizabilityTimeout
	if timeout == 0 {
		timeout = DefaultLinearizabilityTimeout
	}
	res.Linearizability = checker.CheckLinearizableWithin(history, w.Now(), timeout, r.searchBudget())
	violations := r.violations
	if v := res.Linearizability.Violation(); v != nil {
		violations = append(violations, *v)
	}
	if len(r.violations) == 0 && stop == sim.StopTimeLimit {
		violations = append(violations,
			checker.CheckLiveness(history, r.scenario.FaultsEnd(), r.scenario.LivenessWindow+r.scenario.keptSearch(), w.Now())...)
		violations = append(violations, checker.CheckAvailability(history, r.avail.windows(w.Now()), availabilityBound(r.scenario, r.options.maxClockDrift))...)
		violations = append(violations, r.effects.judge(r, w.Now())...)
	}
	violations = r.judgeEnd(violations, stop)
	for i := range violations {
		violations[i].Seed = r.options.Seed
	}
	if violations == nil {
		violations = []checker.Violation{} // a list in JSON too, never null
	}
	res.Violations = violations
	res.Verdict = verdict(violations)
	return res
}

// verdict names the most serious class among the violations.
func verdict(violations []checker.Violation) string {
	order := []checker.Class{checker.ClassCrash, checker.ClassSafety, checker.ClassStuck, checker.ClassLinearizability, checker.ClassUnknown, checker.ClassLiveness, checker.ClassEffect, checker.ClassBudget}
	for _, class := range order {
		for _, v := range violations {
			if v.Class == class {
				return string(class)
			}
		}
	}
	if len(violations) > 0 {
		return string(violations[0].Class)
	}
	return VerdictOK
}

func percentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[(len(sorted)-1)*p/100]
}

// Observe implements host.Observer.
func (r *run) Observe(node nodes.ID, f nodes.Fact) {
	r.end.observe(r.world.Now(), node, f)
	switch f := f.(type) {
	case nodes.RoleChanged:
		r.noteRole(node, f)
	case kv.AppliedFact:
		r.committed = max(r.committed, f.Index)
	case *kv.AppliedFact:
		r.committed = max(r.committed, f.Index)
	}
	r.costs.observe(node, f)
	r.effects.observe(r.world.Now(), node, f)
	for _, c := range r.online {
		r.report(c.Observe(r.world.Now(), node, f)...)
	}
}

func (r *run) noteRole(node nodes.ID, f nodes.RoleChanged) {
	r.avail.role(r.world.Now(), node, f.Role == nodes.RoleLeader)
	r.roles[node] = f
	r.maxEpoch = max(r.maxEpoch, f.Epoch)
	if f.Role == nodes.RoleLeader {
		r.leaderChanges++
		if f.Epoch >= r.leaderEpoch {
			r.leader, r.lastLeader, r.leaderEpoch = node, node, f.Epoch
		}
	} else if node == r.leader {
		r.leader = 0
	}
}

// report records violations and ends the run at the first one: a violation
// is reported at the event where it first occurs.
func (r *run) report(vs ...checker.Violation) {
	if len(vs) == 0 {
		return
	}
	r.violations = append(r.violations, vs...)
	r.world.Stop("violation")
}

// Crashed implements host.Observer.
func (r *run) Crashed(node nodes.ID) {
	if node == r.leader {
		r.leader = 0
	}
	r.avail.crashed(r.world.Now(), node)
	for _, c := range r.online {
		c.Crashed(r.world.Now(), node)
	}
	r.effects.crashed(r, node)
}

// Panicked implements host.Observer: a panic is a failure of its own class.
func (r *run) Panicked(node nodes.ID, value any, stack []byte) {
	r.Crashed(node)
	r.report(checker.Violation{
		Invariant: "node-panic",
		Class:     checker.ClassCrash,
		At:        r.world.Now(),
		Nodes:     []nodes.ID{node},
		Detail:    fmt.Sprintf("panic: %v\n%s", value, stack),
	})
}

// Halted implements host.Observer: a node that refuses a corrupt disk is
// doing the right thing; it stays down (counted in the result).
func (r *run) Halted(node nodes.ID, reason nodes.CorruptStorage) {
	r.halts++
	r.Crashed(node)
}

// currentLeader is the node "the leader" means when a fault fires.
func (r *run) currentLeader() nodes.ID {
	switch {
	case r.leader != 0:
		return r.leader
	case r.lastLeader != 0:
		return r.lastLeader
	}
	return 1
}

// Handle fires a fault action.
func (r *run) Handle(e *sim.Event) {
	switch e.Code {
	case faultsEndCode:
		r.livenessPhase()
		r.avail.snapshot(r.world.Now())
		r.effects.livenessPhase(r)
		return
	case watchdogCode:
		r.watchdog()
		return
	case operatorCode:
		m := e.Payload.(nodes.Message)
		if t, ok := m.(nodes.TransferLeadership); ok {
			r.effects.transferDelivered(r, nodes.ID(e.To), t)
		}
		r.host.Deliver(nodes.ID(e.From), nodes.ID(e.To), m, sim.HashString(m.Kind()))
		return
	}
	f := r.faults[e.Code]
	detail := r.apply(f)
	r.world.Note(sim.KindFault, int(f.Node), 0, sim.HashString(detail), detail)
	r.avail.fault(r.world.Now(), f)
	r.effects.fault(r, f)
}

// watchdog runs every LivenessWindow and reports the run stuck when servers
// are running but none has received anything for 2×LivenessWindow: nothing
// at all happens, so no bound on time would help.
func (r *run) watchdog() {
	r.effects.sampleStorage(r)
	var delivered uint64
	up := false
	for _, id := range r.host.Servers() {
		delivered += r.host.Proc(id).Delivered
		up = up || r.host.Proc(id).Up()
	}
	// While every server is down the silence is the schedule's doing, not
	// the protocol's: only silence among running servers counts.
	if delivered != r.lastDelivered || !up {
		r.lastDelivered, r.lastActivity = delivered, r.world.Now()
	} else if quiet := r.world.Now() - r.lastActivity; quiet >= 2*r.scenario.LivenessWindow {
		r.report(checker.Violation{
			Invariant: checker.InvariantStuck,
			Class:     checker.ClassStuck,
			At:        r.world.Now(),
			Nodes:     r.host.Servers(),
			Detail:    fmt.Sprintf("no server received a message for %v; %s", quiet, r.nodeStates()),
		})
		return
	}
	r.world.Schedule(r.scenario.LivenessWindow, sim.Event{Handler: r, Code: watchdogCode})
}

// nodeStates describes every server: up, down or paused, and its last
// reported role and epoch.
func (r *run) nodeStates() string {
	var b strings.Builder
	b.WriteString("servers:")
	for _, id := range r.host.Servers() {
		p := r.host.Proc(id)
		state := "up"
		switch {
		case !p.Up():
			state = "down"
		case p.Paused():
			state = "paused"
		}
		role := r.roles[id]
		fmt.Fprintf(&b, " n%d=%s/%s@%d", id, state, role.Role, role.Epoch)
	}
	return b.String()
}

// livenessPhase stops the faults: heal every link, stop message loss
// (latency stays), end pauses and drift, restart crashed nodes; unless the
// scenario keeps its faults.
func (r *run) livenessPhase() {
	if r.scenario.KeepFaults {
		r.world.Note(sim.KindFault, 0, 0, sim.HashString("liveness-phase-kept"), "liveness phase: faults kept")
		return
	}
	if r.keptLivenessPhase() {
		return
	}
	r.world.Note(sim.KindFault, 0, 0, sim.HashString("liveness-phase"), "liveness phase: heal all, stop loss, end pauses and drift, restart all")
	r.net.Heal()
	r.net.SetConfig(network.Config{LatencyMin: r.scenario.Network.LatencyMin, LatencyTailMean: r.scenario.Network.LatencyTailMean})
	r.host.Calm()
	r.restartAll()
}

// apply carries out f and describes what it did.
func (r *run) apply(f Fault) string {
	switch f.Action {
	case ActPartition, ActPartitionHalves, ActPartitionRandomHalves, ActPartitionMajority,
		ActPartitionLeaderMinority, ActBridge, ActMajoritiesRing, ActIsolate, ActIsolateLeader:
		return r.partition(f)
	case ActCut:
		r.must(f, r.net.Cut(f.From, f.To))
		return fmt.Sprintf("cut n%d->n%d", f.From, f.To)
	case ActClog:
		r.must(f, r.net.Clog(f.From, f.To, f.Delay))
		return fmt.Sprintf("clog n%d<->n%d +%v", f.From, f.To, f.Delay)
	case ActHeal:
		r.net.Heal()
		return "heal"
	case ActCrash, ActCrashLeader, ActCrashMinority, ActCrashAll:
		return r.crash(f)
	case ActRestart:
		ids := f.Nodes
		if f.Node != 0 {
			ids = []nodes.ID{f.Node}
		}
		if len(ids) == 0 {
			r.restartAll()
			return "restart all crashed"
		}
		for _, id := range ids {
			r.host.Restart(id)
		}
		return fmt.Sprintf("restart %v", ids)
	case ActPause, ActPauseLeader:
		id := f.Node
		if f.Action == ActPauseLeader {
			id = r.currentLeader()
		}
		r.host.Pause(id, f.Duration)
		r.avail.paused(r.world.Now(), id, f.Duration)
		return fmt.Sprintf("pause n%d for %v", id, f.Duration)
	case ActDrift:
		r.host.Drift(f.Node, f.Factor)
		return fmt.Sprintf("drift n%d timers x%v", f.Node, f.Factor)
	case ActTransferLeader:
		return r.transferLeader(f)
	}
	panic(fmt.Sprintf("scenarios: unknown action %q", f.Action))
}

// transferLeader asks the current leader to hand leadership to f.Node, or
// to a server other than the leader drawn from the fault stream. The
// request goes straight to the leader, past the network's faults (an
// operator's command, not a peer's message), as a delivery of the
// leader to itself right after this fault's trace line; a crashed leader
// drops it, a paused one handles it when it resumes.
func (r *run) transferLeader(f Fault) string {
	leader := r.currentLeader()
	to := f.Node
	if to == 0 {
		others := slices.DeleteFunc(allServers(r.scenario.Servers), func(id nodes.ID) bool { return id == leader })
		to = others[r.faultRng.IntN(len(others))]
	}
	r.world.Schedule(0, sim.Event{Handler: r, Code: operatorCode, From: int(leader), To: int(leader), Payload: nodes.TransferLeadership{To: to}})
	return fmt.Sprintf("transfer-leader n%d -> n%d", leader, to)
}

// maxClockDrift is the largest factor max(f, 1/f) by which a drift fault
// of faults makes a server's timers run fast or slow: 1 when none does.
func maxClockDrift(faults []Fault) float64 {
	drift := 1.0
	for _, f := range faults {
		if f.Action == ActDrift && f.Factor > 0 {
			drift = max(drift, f.Factor, 1/f.Factor)
		}
	}
	return drift
}

// must panics on an error from a fault the scenario validation let through:
// that is our bug, not the user's.
func (r *run) must(f Fault, err error) {
	if err != nil {
		panic(fmt.Sprintf("scenarios: fault %v: %v", f, err))
	}
}

// partition carries out the partition actions.
func (r *run) partition(f Fault) string {
	groups := r.groups(f)
	switch f.Action {
	case ActBridge:
		a, b, bridge := groups[0], groups[1], groups[2][0]
		r.must(f, r.net.Split([][]nodes.ID{append(slices.Clone(a), bridge), append(slices.Clone(b), bridge)}))
		return fmt.Sprintf("bridge n%d between %v and %v", bridge, a, b)
	case ActMajoritiesRing:
		ring := groups[0]
		r.must(f, r.net.Split(ringSides(ring)))
		return fmt.Sprintf("majorities-ring %v", ring)
	}
	r.must(f, r.net.Partition(groups))
	return fmt.Sprintf("%s %v", f.Action, groups)
}

// ringSides links each server of ring with its neighbours up to the
// distance that makes its view a majority: each server then sees a
// majority, and no two see the same one (Jepsen's majorities ring).
func ringSides(ring []nodes.ID) [][]nodes.ID {
	n := len(ring)
	majority := n/2 + 1
	reach := majority / 2 // neighbours on each side
	var sides [][]nodes.ID
	for i := range ring {
		for d := 1; d <= reach; d++ {
			sides = append(sides, []nodes.ID{ring[i], ring[(i+d)%n]})
		}
	}
	return sides
}

// groups resolves a partition action into groups of servers (bridge: the
// two halves and the bridge; majorities-ring: the ring order).
func (r *run) groups(f Fault) [][]nodes.ID {
	n := r.scenario.Servers
	ids := allServers(n)
	switch f.Action {
	case ActPartition:
		return f.Groups
	case ActPartitionHalves:
		return [][]nodes.ID{ids[:n/2], ids[n/2:]}
	case ActPartitionRandomHalves:
		r.shuffle(ids)
		return [][]nodes.ID{sortedIDs(ids[:n/2]), sortedIDs(ids[n/2:])}
	case ActPartitionMajority:
		r.shuffle(ids)
		minority := 1 + r.faultRng.IntN(max(1, (n-1)/2))
		return [][]nodes.ID{sortedIDs(ids[:minority]), sortedIDs(ids[minority:])}
	case ActPartitionLeaderMinority:
		leader := r.currentLeader()
		minority := []nodes.ID{leader}
		var majority []nodes.ID
		for i := 1; i < n; i++ {
			id := nodes.ID((int(leader)-1+i)%n + 1)
			if len(minority) < (n-1)/2 {
				minority = append(minority, id)
			} else {
				majority = append(majority, id)
			}
		}
		return [][]nodes.ID{sortedIDs(minority), sortedIDs(majority)}
	case ActIsolate, ActIsolateLeader:
		id := f.Node
		if f.Action == ActIsolateLeader {
			id = r.currentLeader()
		}
		return [][]nodes.ID{{id}, slices.DeleteFunc(ids, func(x nodes.ID) bool { return x == id })}
	case ActBridge:
		bridge := f.Node
		if bridge == 0 {
			bridge = nodes.ID(1 + r.faultRng.IntN(n))
		}
		rest := slices.DeleteFunc(ids, func(x nodes.ID) bool { return x == bridge })
		r.shuffle(rest)
		half := len(rest) / 2
		return [][]nodes.ID{sortedIDs(rest[:half]), sortedIDs(rest[half:]), {bridge}}
	case ActMajoritiesRing:
		r.shuffle(ids)
		return [][]nodes.ID{ids} // the ring order; see partitionLinks
	}
	panic(fmt.Sprintf("scenarios: %s is not a partition", f.Action))
}

func (r *run) shuffle(ids []nodes.ID) {
	r.faultRng.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
}

// crash carries out the crash actions, with the fault's disk damage.
func (r *run) crash(f Fault) string {
	var ids []nodes.ID
	switch f.Action {
	case ActCrash:
		ids = f.Nodes
		if f.Node != 0 {
			ids = []nodes.ID{f.Node}
		}
	case ActCrashLeader:
		ids = []nodes.ID{r.currentLeader()}
	case ActCrashMinority:
		all := allServers(r.scenario.Servers)
		r.shuffle(all)
		ids = sortedIDs(all[:1+r.faultRng.IntN(max(1, (len(all)-1)/2))])
	case ActCrashAll:
		ids = allServers(r.scenario.Servers)
	}
	damage := map[DiskFault]nodes.Damage{DiskClean: nodes.DamageNone, DiskTorn: nodes.DamageTorn, DiskCorrupt: nodes.DamageCorrupt}[f.Disk]
	var damaged []nodes.ID
	for _, id := range ids {
		if r.host.CrashDamaged(id, damage) {
			damaged = append(damaged, id)
		}
	}
	if f.Disk != DiskClean {
		return fmt.Sprintf("crash %v, disk %s on %v", ids, f.Disk, damaged)
	}
	return fmt.Sprintf("crash %v", ids)
}

func (r *run) restartAll() {
	for _, id := range r.host.Servers() {
		r.host.Restart(id)
	}
}

func sortedIDs(ids []nodes.ID) []nodes.ID {
	out := slices.Clone(ids)
	slices.Sort(out)
	return out
}
