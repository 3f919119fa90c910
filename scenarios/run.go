package scenarios

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/consim/consim/checker"
	"github.com/consim/consim/network"
	"github.com/consim/consim/nodes"
	"github.com/consim/consim/nodes/client"
	"github.com/consim/consim/nodes/host"
	"github.com/consim/consim/nodes/kv"
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
	// LinearizabilityTimeout bounds the Porcupine check (wall time); a
	// check that runs out is reported as "unknown", never as a pass.
	// Zero means DefaultLinearizabilityTimeout.
	LinearizabilityTimeout time.Duration
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
	Committed     uint64              `json:"committed"`
	Network       network.Stats       `json:"network"`
	Violations    []checker.Violation `json:"violations"`
	// Faults is the fault schedule that was played (swarm draws included).
	Faults []Fault `json:"-"`
	// WallTime is how long the run took on this machine; it is the only
	// field that differs between two runs of the same seed.
	WallTime time.Duration `json:"wall_ns"`

	History         []client.Op                   `json:"-"`
	Trace           []sim.Record                  `json:"-"`
	Linearizability checker.LinearizabilityResult `json:"-"`
}

// Shed drops the history, trace and linearization details, keeping the
// figures and violations: what a sweep holds on to per run.
func (r *Result) Shed() {
	r.History, r.Trace, r.Linearizability = nil, nil, checker.LinearizabilityResult{}
}

// Failed reports whether the run found a problem.
func (r Result) Failed() bool { return r.Verdict != VerdictOK }

// ReproduceCommand is the simrun command line that replays this run.
func (r Result) ReproduceCommand() string {
	return fmt.Sprintf("simrun run --protocol %s --scenario %s --seed %d", r.Protocol, r.Scenario, r.Seed)
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
	faults   []Fault
	faultRng *rand.Rand

	// leader is the server that most recently became leader and has not
	// stepped down or crashed since (0 if none); lastLeader is the most
	// recent leader even if it has.
	leader, lastLeader nodes.ID
	leaderEpoch        uint64
	leaderChanges      int
	// committed is the highest log index (or slot) any replica applied.
	committed  uint64
	violations []checker.Violation
}

// faultsEndCode marks the event that starts the liveness phase.
const faultsEndCode = -1

// Run simulates s under o and judges the result. It returns an error only
// for bad input (unknown protocol, invalid scenario); everything the run
// finds is in the Result.
func Run(s Scenario, o Options) (Result, error) {
	started := time.Now() // wall time for the report only; never reaches the World
	if err := s.Validate(); err != nil {
		return Result{}, fmt.Errorf("scenario %s: %w", s.Name, err)
	}
	proto, err := LookupProtocol(o.Protocol)
	if err != nil {
		return Result{}, err
	}
	newServer, err := proto.NewServer(o)
	if err != nil {
		return Result{}, fmt.Errorf("protocol %s: %w", o.Protocol, err)
	}
	r := &run{scenario: s, options: o}
	r.world = sim.New(o.Seed, sim.Limits{MaxTime: s.Duration})
	if o.Trace {
		r.world.EnableTrace()
	}
	r.faultRng = r.world.Stream("faults")
	r.faults = slices.Clone(s.Faults)
	if s.Swarm {
		r.faults = append(r.faults, swarmFaults(s, r.world.Stream("swarm"))...)
	}
	slices.SortStableFunc(r.faults, func(a, b Fault) int { return cmpDuration(a.At, b.At) })

	history := &client.History{}
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
	r.online = append(proto.Checkers(r.host.Servers()), checker.NewApplied())

	for i, f := range r.faults {
		r.world.Schedule(f.At, sim.Event{Handler: r, Code: i})
	}
	r.world.Schedule(s.FaultsEnd(), sim.Event{Handler: r, Code: faultsEndCode})
	r.host.Boot()
	stop := r.world.Run()

	for id := s.Servers + 1; id <= s.Servers+s.Clients; id++ {
		if op, pending := r.host.Proc(nodes.ID(id)).Node().(*client.Client).Pending(); pending {
			history.Ops = append(history.Ops, op)
		}
	}
	res := r.judge(history.Ops, stop)
	res.Protocol, res.Scenario, res.Seed = o.Protocol, s.Name, o.Seed
	res.Faults = r.faults
	res.WallTime = time.Since(started)
	return res, nil
}

func cmpDuration(a, b time.Duration) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
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

	timeout := r.options.LinearizabilityTimeout
	if timeout == 0 {
		timeout = DefaultLinearizabilityTimeout
	}
	res.Linearizability = checker.CheckLinearizable(history, w.Now(), timeout)
	violations := r.violations
	if v := res.Linearizability.Violation(); v != nil {
		violations = append(violations, *v)
	}
	if len(r.violations) == 0 && stop == sim.StopTimeLimit {
		violations = append(violations,
			checker.CheckLiveness(history, r.scenario.FaultsEnd(), r.scenario.LivenessWindow, w.Now())...)
	}
	for i := range violations {
		violations[i].Seed = r.options.Seed
	}
	res.Violations = violations
	res.Verdict = verdict(violations)
	return res
}

// verdict names the most serious class among the violations.
func verdict(violations []checker.Violation) string {
	order := []checker.Class{checker.ClassCrash, checker.ClassSafety, checker.ClassLinearizability, checker.ClassUnknown, checker.ClassLiveness}
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
	switch f := f.(type) {
	case nodes.RoleChanged:
		r.noteRole(node, f)
	case kv.AppliedFact:
		r.committed = max(r.committed, f.Index)
	}
	for _, c := range r.online {
		r.report(c.Observe(r.world.Now(), node, f)...)
	}
}

func (r *run) noteRole(node nodes.ID, f nodes.RoleChanged) {
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
	for _, c := range r.online {
		c.Crashed(r.world.Now(), node)
	}
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
	if e.Code == faultsEndCode {
		r.world.Note(sim.KindFault, 0, 0, sim.HashString("liveness-phase"), "liveness phase: heal all, restart all, stop message loss")
		r.net.Heal()
		r.net.SetConfig(network.Config{LatencyMin: r.scenario.Network.LatencyMin, LatencyTailMean: r.scenario.Network.LatencyTailMean})
		r.restartAll()
		return
	}
	f := r.faults[e.Code]
	detail := r.apply(f)
	r.world.Note(sim.KindFault, int(f.Node), 0, sim.HashString(detail), detail)
}

// apply carries out f and describes what it did.
func (r *run) apply(f Fault) string {
	n := r.scenario.Servers
	must := func(err error) {
		if err != nil { // validated up front; an error here is our bug
			panic(fmt.Sprintf("scenarios: fault %v: %v", f, err))
		}
	}
	switch f.Action {
	case ActPartition:
		must(r.net.Partition(f.Groups))
		return fmt.Sprintf("partition %v", f.Groups)
	case ActPartitionLeaderMinority:
		leader := r.currentLeader()
		var minority, majority []nodes.ID
		minority = append(minority, leader)
		for i := 1; i < n; i++ {
			id := nodes.ID((int(leader)-1+i)%n + 1)
			if len(minority) < (n-1)/2 {
				minority = append(minority, id)
			} else {
				majority = append(majority, id)
			}
		}
		must(r.net.Partition([][]nodes.ID{minority, majority}))
		return fmt.Sprintf("partition leader n%d into minority %v | %v", leader, minority, majority)
	case ActRandomPartition:
		ids := allServers(n)
		r.faultRng.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
		cut := 1 + r.faultRng.IntN(max(1, n-1))
		groups := [][]nodes.ID{sortedIDs(ids[:cut]), sortedIDs(ids[cut:])}
		must(r.net.Partition(groups))
		return fmt.Sprintf("partition %v", groups)
	case ActIsolate:
		must(r.net.Isolate(f.Node))
		return fmt.Sprintf("isolate n%d", f.Node)
	case ActIsolateLeader:
		leader := r.currentLeader()
		must(r.net.Isolate(leader))
		return fmt.Sprintf("isolate leader n%d", leader)
	case ActCut:
		must(r.net.Cut(f.From, f.To))
		return fmt.Sprintf("cut n%d->n%d", f.From, f.To)
	case ActHeal:
		r.net.Heal()
		return "heal"
	case ActCrash:
		r.host.Crash(f.Node)
		return fmt.Sprintf("crash n%d", f.Node)
	case ActCrashLeader:
		leader := r.currentLeader()
		r.host.Crash(leader)
		return fmt.Sprintf("crash leader n%d", leader)
	case ActRestart:
		if f.Node != 0 {
			r.host.Restart(f.Node)
			return fmt.Sprintf("restart n%d", f.Node)
		}
		r.restartAll()
		return "restart all crashed"
	}
	panic(fmt.Sprintf("scenarios: unknown action %q", f.Action))
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
