// Package scenarios says what a simulated run is (a Scenario: cluster,
// network, workload, fault schedule, run length, liveness window), holds the
// named library of scenarios, and runs one: it builds the World, boots the
// nodes and clients, plays the fault schedule, and judges the result with
// the checkers.
//
// scenarios imports sim, network, nodes/..., checker; never cmd.
package scenarios

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/consim/consim/network"
	"github.com/consim/consim/nodes"
	"github.com/consim/consim/nodes/client"
)

// Scenario is everything about a run except the seed and the protocol.
type Scenario struct {
	Name        string
	Description string
	// Servers is the cluster size.
	Servers int
	// Network is the link fault model for the whole run.
	Network network.Config
	// Clients is the number of simulated clients; each runs Workload.
	Clients  int
	Workload client.Config
	// Faults is the fault schedule, in any order; actions at the same time
	// fire in schedule order. Every action must come before the liveness
	// phase.
	Faults []Fault
	// Swarm draws an extra fault schedule from the seed (see swarm.go).
	Swarm bool
	// SwarmVersion selects swarm's draws: 0 or 1 the original kinds, 2
	// adds transfer-leader (and its pause or isolation of the old
	// leader). A version never changes what an existing one draws.
	SwarmVersion int
	// Duration is the whole run, in simulated time.
	Duration time.Duration
	// LivenessWindow is the bound within which operations must complete
	// once faults stop. The last 2×LivenessWindow of the run are the
	// liveness phase: at its start every partition heals, every crashed
	// node restarts and the network stops losing, duplicating and
	// reordering messages (latency stays), except what a kept fault (Fault.Keep)
	// holds; every operation called before the phase's second half
	// must then complete within LivenessWindow of max(call, phase start).
	LivenessWindow time.Duration
	// KeepFaults leaves partitions, crashes, pauses and drift in place when
	// the liveness phase starts (to show what a cluster that never regains
	// a majority looks like: a liveness failure, not a pass).
	KeepFaults bool
	// Regression, when set, makes the scenario a case of a regression
	// corpus (see Regress): which protocol and seeds to replay and what
	// verdict to expect. Runs ignore it.
	Regression *Regression
}

// Regression is a regression case: replay Seeds of the scenario on
// Protocol (with Bug switched on, if any) and expect the verdict Expect
// ("ok" when empty: a bug that was found and fixed must stay fixed; a
// catalog bug's case expects its violation class, so that the checkers stay
// honest too).
type Regression struct {
	Protocol string
	Bug      string
	Seeds    []uint64
	Expect   string
}

// FaultsEnd is when the liveness phase starts.
func (s Scenario) FaultsEnd() time.Duration { return s.Duration - 2*s.LivenessWindow }

// Validate says what is wrong with s, naming the field.
func (s Scenario) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if s.Servers < 1 || s.Servers > MaxServers {
		add("servers: %d, need 1..%d (a fixed limit)", s.Servers, MaxServers)
	}
	if s.Clients < 0 || s.Clients > MaxClients {
		add("clients: %d, need 0..%d (a fixed limit)", s.Clients, MaxClients)
	}
	if err := s.Network.Validate(); err != nil {
		add("network.%v", err)
	}
	if s.Clients > 0 {
		if err := s.Workload.Validate(); err != nil {
			add("workload.%v", err)
		}
	}
	if s.SwarmVersion < 0 || s.SwarmVersion > 2 {
		add("swarm_version: %d, need 0, 1 or 2", s.SwarmVersion)
	}
	if s.Duration <= 0 {
		add("duration: %v, must be positive", s.Duration)
	}
	// The liveness phase is only defined by a positive duration and window:
	// with either one wrong, that one is the error, not the phase.
	phaseDefined := s.Duration > 0 && s.LivenessWindow > 0 && s.FaultsEnd() >= 0
	if s.LivenessWindow <= 0 {
		add("liveness_window: %v, must be positive", s.LivenessWindow)
	} else if s.Duration > 0 && s.FaultsEnd() < 0 {
		add("liveness_window: 2×%v is longer than the duration %v", s.LivenessWindow, s.Duration)
	}
	errs = append(errs, s.checkLimits()...)
	if r := s.Regression; r != nil {
		if _, err := LookupProtocol(r.Protocol); err != nil {
			add("regression.protocol: %v", err)
		}
		if len(r.Seeds) == 0 {
			add("regression.seeds: a regression case needs at least one seed")
		}
		if r.Bug != "" {
			if b, err := LookupBug(r.Bug); err != nil {
				add("regression.bug: %v", err)
			} else if err := b.RunsOn(r.Protocol); err != nil {
				add("regression.bug: %v", err)
			}
		}
	}
	for i, f := range s.Faults {
		if err := f.validate(s.Servers); err != nil {
			add("faults[%d]: %v", i, err)
		} else if phaseDefined && f.At >= s.FaultsEnd() {
			add("faults[%d]: at %v is inside the liveness phase (faults must come before %v)", i, f.At, s.FaultsEnd())
		}
	}
	errs = append(errs, s.validateKept()...)
	return errors.Join(errs...)
}

// Action names what a fault does. The partition vocabulary is Jepsen's,
// made deterministic: anything random is drawn from the run's fault stream
// when the action fires.
type Action string

const (
	// ActPartition splits the servers into Groups.
	ActPartition Action = "partition"
	// ActPartitionHalves splits the servers into a lower and an upper half
	// by id (the upper half is the larger when the size is odd).
	ActPartitionHalves Action = "partition-halves"
	// ActPartitionRandomHalves splits the servers into two random halves.
	ActPartitionRandomHalves Action = "partition-random-halves"
	// ActPartitionMajority splits off a random minority of the servers.
	ActPartitionMajority Action = "partition-majority"
	// ActPartitionLeaderMinority puts the current leader, with as many
	// others as keep it a minority, on one side, and the rest on the other.
	ActPartitionLeaderMinority Action = "partition-leader-minority"
	// ActBridge splits the servers into two halves joined through one
	// bridge node that sees both (random, or Node when set).
	ActBridge Action = "bridge"
	// ActMajoritiesRing lets each server see a majority (itself and its
	// nearest neighbours on a random ring), no two the same majority.
	ActMajoritiesRing Action = "majorities-ring"
	// ActIsolate cuts Node off from the other servers.
	ActIsolate Action = "isolate"
	// ActIsolateLeader isolates the leader at the time the action fires.
	ActIsolateLeader Action = "isolate-leader"
	// ActCut blocks messages From->To only.
	ActCut Action = "cut"
	// ActClog adds Delay to every message between From and To, both ways.
	ActClog Action = "clog"
	// ActHeal restores every link: partitions, cuts and clogs.
	ActHeal Action = "heal"
	// ActCrash crashes Node, or every node in Nodes. Disk says what
	// happens to the disk of each crashed node.
	ActCrash Action = "crash"
	// ActCrashLeader crashes the leader at the time the action fires.
	ActCrashLeader Action = "crash-leader"
	// ActCrashMinority crashes a random minority of the servers.
	ActCrashMinority Action = "crash-minority"
	// ActCrashAll crashes every server at once.
	ActCrashAll Action = "crash-all"
	// ActRestart restarts Node (or Nodes), or every crashed node when
	// neither is set.
	ActRestart Action = "restart"
	// ActPause stops Node (or the leader, with ActPauseLeader) from taking
	// any input for Duration; then it handles what arrived and every
	// overdue timer, in the order they were due.
	ActPause       Action = "pause"
	ActPauseLeader Action = "pause-leader"
	// ActDrift makes Node's timers run Factor times as fast (2: a timer set
	// for 100ms fires after 50ms; 0.5: after 200ms). Factor 1 stops drift.
	ActDrift Action = "drift"
	// ActTransferLeader asks the current leader to hand leadership over to
	// Node (Raft thesis §3.10), or to a server other than the leader drawn
	// from the fault stream when Node is unset. The request
	// (nodes.TransferLeadership) reaches the leader directly, not through
	// the network's faults; a protocol without transfers ignores it.
	ActTransferLeader Action = "transfer-leader"
)

// Actions lists every action, for help texts and validation messages.
var Actions = []Action{
	ActPartition, ActPartitionHalves, ActPartitionRandomHalves, ActPartitionMajority,
	ActPartitionLeaderMinority, ActBridge, ActMajoritiesRing, ActIsolate, ActIsolateLeader,
	ActCut, ActClog, ActHeal, ActCrash, ActCrashLeader, ActCrashMinority, ActCrashAll,
	ActRestart, ActPause, ActPauseLeader, ActDrift, ActTransferLeader,
}

// DiskFault is what a crash does to a node's disk beyond losing the writes
// that were not synced (which every crash does).
type DiskFault string

const (
	// DiskClean: only unsynced writes are lost.
	DiskClean DiskFault = ""
	// DiskTorn: the first unsynced write survives torn (a prefix of it),
	// as if power failed mid-write. A node must detect it (checksums) and
	// drop it.
	DiskTorn DiskFault = "torn"
	// DiskCorrupt: one synced record that is followed by another (so that
	// it cannot be mistaken for a torn tail) gets a flipped byte. A node
	// must detect it and refuse to use its disk (it halts) rather than act
	// on it silently.
	DiskCorrupt DiskFault = "corrupt"
)

// Fault is one timed action of a fault schedule.
type Fault struct {
	At     time.Duration
	Action Action
	// Node is the node of isolate, crash, restart, pause, drift, the
	// bridge node of bridge (0: random), and the new leader of
	// transfer-leader (0: random).
	Node nodes.ID
	// Nodes are the nodes of crash and restart when several.
	Nodes []nodes.ID
	// Groups are the sides of a partition.
	Groups [][]nodes.ID
	// From and To are the ends of a one-way cut or a clog.
	From, To nodes.ID
	// Delay is the extra latency of a clog.
	Delay time.Duration
	// Duration is the length of a pause.
	Duration time.Duration
	// Factor is the timer speed of a drift.
	Factor float64
	// Disk is what a crash does to the disk.
	Disk DiskFault
	// Keep makes the fault persist through the liveness phase (see
	// keep.go): a crash, isolate, cut or partition whose servers stay down
	// or cut off to the end of the run.
	Keep bool
}

func (f Fault) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%v %s", f.At, f.Action)
	if f.Node != 0 {
		fmt.Fprintf(&b, " n%d", f.Node)
	}
	if len(f.Nodes) > 0 {
		fmt.Fprintf(&b, " %v", f.Nodes)
	}
	if len(f.Groups) > 0 {
		fmt.Fprintf(&b, " %v", f.Groups)
	}
	if f.From != 0 || f.To != 0 {
		fmt.Fprintf(&b, " n%d->n%d", f.From, f.To)
	}
	if f.Delay != 0 {
		fmt.Fprintf(&b, " delay=%v", f.Delay)
	}
	if f.Duration != 0 {
		fmt.Fprintf(&b, " for=%v", f.Duration)
	}
	if f.Factor != 0 {
		fmt.Fprintf(&b, " factor=%v", f.Factor)
	}
	if f.Disk != DiskClean {
		fmt.Fprintf(&b, " disk=%s", f.Disk)
	}
	if f.Keep {
		b.WriteString(" keep")
	}
	return b.String()
}

// validate says what is wrong with f, naming the field (as in a scenario
// file).
func (f Fault) validate(servers int) error {
	if f.At < 0 {
		return fmt.Errorf("at: %v is negative", f.At)
	}
	inCluster := func(field string, id nodes.ID) error {
		if id < 1 || int(id) > servers {
			return fmt.Errorf("%s: node %d is outside the cluster 1..%d", field, id, servers)
		}
		return nil
	}
	switch f.Disk {
	case DiskClean, DiskTorn, DiskCorrupt:
	default:
		return fmt.Errorf("disk: unknown disk fault %q (known: torn, corrupt)", f.Disk)
	}
	if f.Disk != DiskClean && f.Action != ActCrash && f.Action != ActCrashLeader && f.Action != ActCrashMinority && f.Action != ActCrashAll {
		return fmt.Errorf("disk: only a crash can damage a disk, not %s", f.Action)
	}
	switch f.Action {
	case ActPartition:
		if len(f.Groups) < 2 {
			return fmt.Errorf("groups: a partition needs at least two groups, got %d", len(f.Groups))
		}
		seen := map[nodes.ID]bool{}
		for _, g := range f.Groups {
			for _, id := range g {
				if err := inCluster("groups", id); err != nil {
					return err
				}
				if seen[id] {
					return fmt.Errorf("groups: node %d is in two groups", id)
				}
				seen[id] = true
			}
		}
	case ActIsolate, ActPause, ActDrift:
		if err := inCluster("node", f.Node); err != nil {
			return err
		}
	case ActTransferLeader:
		if servers < 2 {
			return fmt.Errorf("action: %s needs at least 2 servers", f.Action)
		}
		if f.Node != 0 {
			return inCluster("node", f.Node)
		}
	case ActBridge:
		if servers < 3 {
			return fmt.Errorf("action: a bridge needs at least 3 servers, the cluster has %d", servers)
		}
		if f.Node != 0 {
			return inCluster("node", f.Node)
		}
	case ActCrash, ActRestart:
		if f.Node != 0 && len(f.Nodes) != 0 {
			return fmt.Errorf("nodes: give node or nodes, not both")
		}
		if f.Action == ActCrash && f.Node == 0 && len(f.Nodes) == 0 {
			return fmt.Errorf("node: a crash needs node or nodes (or use crash-leader, crash-minority, crash-all)")
		}
		if f.Node != 0 {
			return inCluster("node", f.Node)
		}
		for _, id := range f.Nodes {
			if err := inCluster("nodes", id); err != nil {
				return err
			}
		}
	case ActCut, ActClog:
		if err := inCluster("from", f.From); err != nil {
			return err
		}
		if err := inCluster("to", f.To); err != nil {
			return err
		}
		if f.From == f.To {
			return fmt.Errorf("to: from and to are both node %d", f.From)
		}
	case ActPartitionHalves, ActPartitionRandomHalves, ActPartitionMajority, ActMajoritiesRing,
		ActPartitionLeaderMinority, ActIsolateLeader, ActHeal, ActCrashLeader, ActCrashMinority, ActCrashAll, ActPauseLeader:
		if servers < 2 && f.Action != ActHeal && f.Action != ActCrashLeader && f.Action != ActCrashAll {
			return fmt.Errorf("action: %s needs at least 2 servers", f.Action)
		}
	default:
		return fmt.Errorf("action: unknown action %q (known: %s)", f.Action, joinActions())
	}
	switch {
	case f.Action == ActClog && f.Delay <= 0:
		return fmt.Errorf("delay: a clog needs a positive delay, got %v", f.Delay)
	case f.Action != ActClog && f.Delay != 0:
		return fmt.Errorf("delay: only a clog has a delay")
	case (f.Action == ActPause || f.Action == ActPauseLeader) && f.Duration <= 0:
		return fmt.Errorf("duration: a pause needs a positive duration, got %v", f.Duration)
	case f.Action != ActPause && f.Action != ActPauseLeader && f.Duration != 0:
		return fmt.Errorf("duration: only a pause has a duration")
	case f.Action == ActDrift && (f.Factor <= 0 || f.Factor > 100 || f.Factor != f.Factor):
		return fmt.Errorf("factor: a drift needs a factor in (0, 100], got %v", f.Factor)
	case f.Action != ActDrift && f.Factor != 0:
		return fmt.Errorf("factor: only a drift has a factor")
	}
	return nil
}

func joinActions() string {
	names := make([]string, len(Actions))
	for i, a := range Actions {
		names[i] = string(a)
	}
	return strings.Join(names, ", ")
}
