package scenarios

import (
	"fmt"
	"slices"
	"time"

	"github.com/consim/consim/network"
	"github.com/consim/consim/nodes"
	"github.com/consim/consim/nodes/client"
)

// Base is the starting point of every named scenario: five servers on a
// fast, reliable network, three clients, six simulated seconds with a
// one-second liveness window (faults stop at 4s).
func Base() Scenario {
	return Scenario{
		Servers: 5,
		Network: network.Config{LatencyMin: time.Millisecond, LatencyTailMean: 2 * time.Millisecond},
		Clients: 3,
		Workload: client.Config{
			Keys:          5,
			Mix:           client.DefaultMix,
			ThinkTimeMean: 20 * time.Millisecond,
			Timeout:       150 * time.Millisecond,
			Backoff:       20 * time.Millisecond,
		},
		Duration:       6 * time.Second,
		LivenessWindow: time.Second,
	}
}

type named struct {
	name        string
	description string
	build       func(s *Scenario)
}

// library is the list of named scenarios, in the order `simrun list` shows.
var library = []named{
	{"steady", "no faults: a baseline for throughput and latency", func(s *Scenario) {}},
	{"idle-bursts", "no faults: 6 clients call in 300ms bursts separated by 600ms of silence, longer than any election timeout, so only heartbeats keep the leader", func(s *Scenario) {
		// Raft §5.2: a leader keeps its authority by heartbeats alone
		// while no command comes; a follower that hears nothing for an
		// election timeout stands. The stability check holds every
		// protocol to one election here.
		s.Clients = 6
		s.Workload.ThinkTimeMean = 5 * time.Millisecond
		s.Workload.Burst = 300 * time.Millisecond
		s.Workload.Idle = 600 * time.Millisecond
	}},
	{"leader-isolation", "the leader is cut off from the other servers at 1.5s and rejoins at 3s", func(s *Scenario) {
		s.Faults = []Fault{
			{At: 1500 * time.Millisecond, Action: ActIsolateLeader},
			{At: 3 * time.Second, Action: ActHeal},
		}
	}},
	{"majority-partition", "the leader is stranded in a minority with one peer from 1.5s to 3.5s", func(s *Scenario) {
		s.Faults = []Fault{
			{At: 1500 * time.Millisecond, Action: ActPartitionLeaderMinority},
			{At: 3500 * time.Millisecond, Action: ActHeal},
		}
	}},
	{"crash-restart", "the leader crashes at 1s and restarts at 2s; the new leader crashes at 2.5s and restarts at 3.5s", func(s *Scenario) {
		s.Faults = []Fault{
			{At: time.Second, Action: ActCrashLeader},
			{At: 2 * time.Second, Action: ActRestart},
			{At: 2500 * time.Millisecond, Action: ActCrashLeader},
			{At: 3500 * time.Millisecond, Action: ActRestart},
		}
	}},
	{"lossy", "10% of messages lost, 5% duplicated, 10% held back and reordered", func(s *Scenario) {
		s.Network.DropRate = 0.10
		s.Network.DuplicateRate = 0.05
		s.Network.ReorderRate = 0.10
		s.Network.ReorderDelayMax = 20 * time.Millisecond
	}},
	{"flapping", "random two-way partitions that change every 300ms from 0.5s to 4s", func(s *Scenario) {
		for at := 500 * time.Millisecond; at < s.FaultsEnd(); at += 300 * time.Millisecond {
			s.Faults = append(s.Faults, Fault{At: at, Action: ActHeal}, Fault{At: at, Action: ActPartitionRandomHalves})
		}
	}},
	{"bridge", "two halves joined only through one bridge node that sees both, from 1s to 3.5s", func(s *Scenario) {
		s.Faults = []Fault{{At: time.Second, Action: ActBridge}, {At: 3500 * time.Millisecond, Action: ActHeal}}
	}},
	{"majorities-ring", "every server sees a majority, no two the same one, from 1s to 3.5s", func(s *Scenario) {
		s.Faults = []Fault{{At: time.Second, Action: ActMajoritiesRing}, {At: 3500 * time.Millisecond, Action: ActHeal}}
	}},
	{"one-way-cut", "n1 stops hearing n2 and n3 (it can still send) from 1s, and n4 stops hearing n1 from 2s, until 3.5s", func(s *Scenario) {
		s.Faults = []Fault{
			{At: time.Second, Action: ActCut, From: 2, To: 1},
			{At: time.Second, Action: ActCut, From: 3, To: 1},
			{At: 2 * time.Second, Action: ActCut, From: 1, To: 4},
			{At: 3500 * time.Millisecond, Action: ActHeal},
		}
	}},
	{"clogged", "links n1<->n2 and n1<->n3 gain 120ms (about an election timeout) from 1s to 3.5s", func(s *Scenario) {
		s.Faults = []Fault{
			{At: time.Second, Action: ActClog, From: 1, To: 2, Delay: 120 * time.Millisecond},
			{At: time.Second, Action: ActClog, From: 1, To: 3, Delay: 120 * time.Millisecond},
			{At: 3500 * time.Millisecond, Action: ActHeal},
		}
	}},
	{"pause-leader", "the leader stops for 800ms at 1s (a long GC pause) and again at 2.5s, then handles its backlog", func(s *Scenario) {
		s.Faults = []Fault{
			{At: time.Second, Action: ActPauseLeader, Duration: 800 * time.Millisecond},
			{At: 2500 * time.Millisecond, Action: ActPauseLeader, Duration: 800 * time.Millisecond},
		}
	}},
	{"clock-drift", "n1's timers run 3x fast and n2's at half speed from 0.5s; n3 pauses 300ms at 2s", func(s *Scenario) {
		s.Faults = []Fault{
			{At: 500 * time.Millisecond, Action: ActDrift, Node: 1, Factor: 3},
			{At: 500 * time.Millisecond, Action: ActDrift, Node: 2, Factor: 0.5},
			{At: 2 * time.Second, Action: ActPause, Node: 3, Duration: 300 * time.Millisecond},
		}
	}},
	{"restart-storm", "a random minority crashes every 250ms and restarts 150ms later, from 0.5s to 4s", func(s *Scenario) {
		for at := 500 * time.Millisecond; at+150*time.Millisecond < s.FaultsEnd(); at += 250 * time.Millisecond {
			s.Faults = append(s.Faults, Fault{At: at, Action: ActCrashMinority}, Fault{At: at + 150*time.Millisecond, Action: ActRestart})
		}
	}},
	{"crash-all", "every server crashes at once at 1.5s and again at 3s; all restart 200ms later (durability)", func(s *Scenario) {
		s.Faults = []Fault{
			{At: 1500 * time.Millisecond, Action: ActCrashAll},
			{At: 1700 * time.Millisecond, Action: ActRestart},
			{At: 3 * time.Second, Action: ActCrashAll},
			{At: 3200 * time.Millisecond, Action: ActRestart},
		}
	}},
	{"disk-faults", "n2 crashes at 1s with a corrupted synced record (it must halt), the leader twice with a torn last write", func(s *Scenario) {
		s.Faults = []Fault{
			{At: time.Second, Action: ActCrash, Node: 2, Disk: DiskCorrupt},
			{At: 1200 * time.Millisecond, Action: ActRestart, Node: 2},
			{At: 1500 * time.Millisecond, Action: ActCrashLeader, Disk: DiskTorn},
			{At: 1800 * time.Millisecond, Action: ActRestart},
			{At: 2500 * time.Millisecond, Action: ActCrashLeader, Disk: DiskTorn},
			{At: 2800 * time.Millisecond, Action: ActRestart},
		}
	}},
	{"lossy-links", "n1's outgoing links lose 40% and n5's incoming links 30%; the rest is clean", func(s *Scenario) {
		s.Network.Links = []network.Link{
			{From: 1, LatencyMin: time.Millisecond, LatencyTailMean: 2 * time.Millisecond, DropRate: 0.4},
			{To: 5, LatencyMin: time.Millisecond, LatencyTailMean: 5 * time.Millisecond, DropRate: 0.3},
		}
	}},
	{"zipfian-hot-keys", "6 clients on 20 zipfian keys (k0 hottest), 5% loss, random halves twice", func(s *Scenario) {
		s.Clients = 6
		s.Workload.Keys = 20
		s.Workload.KeyDistribution = "zipfian"
		s.Network.DropRate = 0.05
		s.Faults = []Fault{
			{At: time.Second, Action: ActPartitionRandomHalves},
			{At: 2 * time.Second, Action: ActHeal},
			{At: 2500 * time.Millisecond, Action: ActPartitionRandomHalves},
			{At: 3500 * time.Millisecond, Action: ActHeal},
		}
	}},
	{"figure-8", "3 servers, 70 clients: the newest leader is cut off every 20ms from 0.5s to 4s, so leaders fall mid-catch-up over long stale tails (Raft Figure 8)", func(s *Scenario) {
		// Many clients give each cut-off leader a tail of more entries than
		// one AppendEntries carries, so that a successor backfilling a
		// follower sends batches of old-term entries without its own.
		s.Servers = 3
		s.Clients = 70
		s.Workload.Keys = 50
		s.Workload.ThinkTimeMean = 400 * time.Millisecond
		for at := 500 * time.Millisecond; at < s.FaultsEnd(); at += 20 * time.Millisecond {
			s.Faults = append(s.Faults, Fault{At: at, Action: ActHeal}, Fault{At: at, Action: ActIsolateLeader})
		}
	}},
	{"late-votes", "60% of messages held back up to 150ms; the leader crashes and restarts at once every 300ms from 0.5s to 4s", func(s *Scenario) {
		s.Network.ReorderRate = 0.6
		s.Network.ReorderDelayMax = 150 * time.Millisecond
		for at := 500 * time.Millisecond; at < s.FaultsEnd(); at += 300 * time.Millisecond {
			s.Faults = append(s.Faults, Fault{At: at, Action: ActCrashLeader}, Fault{At: at, Action: ActRestart})
		}
	}},
	{"isolated-reads", "6 clients, 80% gets: the leader is isolated from 1s to 3s while readers keep asking it", func(s *Scenario) {
		s.Clients = 6
		s.Workload.Mix = client.Mix{Get: 80, Put: 10, Append: 5, CAS: 5}
		s.Workload.ThinkTimeMean = 100 * time.Millisecond
		s.Faults = []Fault{
			{At: time.Second, Action: ActIsolateLeader},
			{At: 3 * time.Second, Action: ActHeal},
		}
	}},
	{"flapping-node", "n5 is cut off from the other servers for 500ms (longer than an election timeout) every 800ms from the start to 4s, under load: without PreVote it comes back with a raised term and deposes the leader", func(s *Scenario) {
		// Raft thesis §9.6: a server that cannot reach the others keeps
		// timing out and raising its term; when it rejoins, its term makes
		// the leader step down, though its stale log cannot win. PreVote
		// keeps its term where it was. n5 is cut off from the start, so
		// that it is a follower, not the first leader; leader changes per
		// run, in the sweep table, show the difference.
		for at := time.Duration(0); at+500*time.Millisecond < s.FaultsEnd(); at += 800 * time.Millisecond {
			s.Faults = append(s.Faults, Fault{At: at, Action: ActIsolate, Node: 5}, Fault{At: at + 500*time.Millisecond, Action: ActHeal})
		}
	}},
	{"leader-transfer", "the leader is asked to hand over to a random other server every 300ms from 0.5s to 4s, under load with 4 clients and 1% message loss", func(s *Scenario) {
		// Raft thesis §3.10: the leader stops taking commands, catches
		// the transferee up and tells it to stand at once. A lost
		// TimeoutNow leaves the transfer to time out; clients must keep
		// being served and the history must stay linearizable. Protocols
		// without transfers ignore the requests.
		s.Clients = 4
		s.Network.DropRate = 0.01
		for at := 500 * time.Millisecond; at < s.FaultsEnd(); at += 300 * time.Millisecond {
			s.Faults = append(s.Faults, Fault{At: at, Action: ActTransferLeader})
		}
	}},
	{"read-failover", "6 clients, 85% gets on 3 keys, 50ms timeouts: the leader crashes (restarting 300ms later) or is cut off (healed 400ms later), in turn, every 600ms from 0.5s to 4s", func(s *Scenario) {
		// Reads right after a change of leader: a ReadIndex read served
		// before the new leader's first entry commits can miss writes its
		// predecessor committed (thesis §6.4, step 1), and a deposed
		// leader that answers without a heartbeat round serves stale
		// values (step 3). Short client timeouts bring the readers to the
		// new leader as soon as it is elected.
		s.Clients = 6
		s.Workload.Keys = 3
		s.Workload.Mix = client.Mix{Get: 85, Put: 10, Append: 5}
		s.Workload.ThinkTimeMean = 15 * time.Millisecond
		s.Workload.Timeout = 50 * time.Millisecond
		for at, crash := 500*time.Millisecond, true; at+400*time.Millisecond < s.FaultsEnd(); at, crash = at+600*time.Millisecond, !crash {
			if crash {
				s.Faults = append(s.Faults, Fault{At: at, Action: ActCrashLeader}, Fault{At: at + 300*time.Millisecond, Action: ActRestart})
			} else {
				s.Faults = append(s.Faults, Fault{At: at, Action: ActIsolateLeader}, Fault{At: at + 400*time.Millisecond, Action: ActHeal})
			}
		}
	}},
	{"lossy-failover", "30% of messages between servers lost; the leader crashes every 400ms from 0.5s and restarts 150ms later, while 10 clients (60% gets, 3 keys, 40ms timeouts) keep at it", func(s *Scenario) {
		// A new leader's first round of AppendEntries often reaches a
		// follower without the no-op the lost message before it carried:
		// the follower rejects it, yet its reply confirms the leader's term.
		// So a ReadIndex round can be confirmed before the no-op commits,
		// while the new leader's commit index still lags entries its
		// predecessor committed and acknowledged (thesis §6.4 step 1).
		s.Clients = 10
		s.Workload.Keys = 3
		s.Workload.Mix = client.Mix{Get: 60, Put: 20, Append: 20}
		s.Workload.ThinkTimeMean = 10 * time.Millisecond
		s.Workload.Timeout = 40 * time.Millisecond
		s.Workload.Backoff = 5 * time.Millisecond
		for from := nodes.ID(1); from <= nodes.ID(s.Servers); from++ {
			for to := nodes.ID(1); to <= nodes.ID(s.Servers); to++ {
				if from != to {
					s.Network.Links = append(s.Network.Links, network.Link{From: from, To: to,
						LatencyMin: 2 * time.Millisecond, LatencyTailMean: 2 * time.Millisecond, DropRate: 0.3})
				}
			}
		}
		for at := 500 * time.Millisecond; at+150*time.Millisecond < s.FaultsEnd(); at += 400 * time.Millisecond {
			s.Faults = append(s.Faults, Fault{At: at, Action: ActCrashLeader}, Fault{At: at + 150*time.Millisecond, Action: ActRestart})
		}
	}},
	{"lease-drift", "n1's timers run slow (x0.625), the others' fast (x1.6); three times from 0.5s n1 is made leader, then cut off for 500ms, while 6 clients with 50ms timeouts read (80% gets)", func(s *Scenario) {
		// Thesis §6.4.1: a lease counted on the leader's clock must end
		// before any follower that acknowledged it can vote for someone
		// else, whatever the clocks' drift. A slow leader's lease lasts
		// longer in real time, fast followers elect a successor sooner:
		// a lease that ignores the drift lets the cut-off leader answer
		// reads after the new leader has committed writes. Short client
		// timeouts take the writers to the new leader while readers
		// still hear from the old one (clients reach every server).
		s.Clients = 6
		s.Workload.Keys = 3
		s.Workload.Mix = client.Mix{Get: 80, Put: 15, Append: 5}
		s.Workload.Timeout = 50 * time.Millisecond
		s.Faults = []Fault{{At: 0, Action: ActDrift, Node: 1, Factor: 0.625}}
		for id := nodes.ID(2); id <= 5; id++ {
			s.Faults = append(s.Faults, Fault{At: 0, Action: ActDrift, Node: id, Factor: 1.6})
		}
		for at := 500 * time.Millisecond; at+800*time.Millisecond < s.FaultsEnd(); at += 1100 * time.Millisecond {
			s.Faults = append(s.Faults,
				Fault{At: at, Action: ActTransferLeader, Node: 1},
				Fault{At: at + 300*time.Millisecond, Action: ActIsolateLeader},
				Fault{At: at + 800*time.Millisecond, Action: ActHeal})
		}
	}},
	{"snapshot-catchup", "5 clients, 80% writes: n1 is made leader at 0.2s; n5 is down from 0.3s to 2.5s while hundreds of entries commit, and n4's links to the other servers gain 100ms from 1s to 3.5s", func(s *Scenario) {
		// §7: once the leader has compacted its log, a follower that
		// needs entries it dropped (n5 after its restart; n4, behind its
		// clogged links, if it falls far enough behind) gets an
		// InstallSnapshot of the state machine, sessions included. The
		// transfer makes n4 and n5 followers (where transfers exist).
		s.Clients = 5
		s.Workload.Keys = 20
		s.Workload.Mix = client.Mix{Get: 20, Put: 50, Append: 20, CAS: 10}
		s.Faults = []Fault{
			{At: 200 * time.Millisecond, Action: ActTransferLeader, Node: 1},
			{At: 300 * time.Millisecond, Action: ActCrash, Node: 5},
		}
		for id := nodes.ID(1); id <= 5; id++ {
			if id != 4 {
				s.Faults = append(s.Faults, Fault{At: time.Second, Action: ActClog, From: 4, To: id, Delay: 100 * time.Millisecond})
			}
		}
		s.Faults = append(s.Faults,
			Fault{At: 2500 * time.Millisecond, Action: ActRestart, Node: 5},
			Fault{At: 3500 * time.Millisecond, Action: ActHeal})
	}},
	{"minority-crashed", "n4 and n5 crash at 1s and stay down to the end of the run (kept through the liveness phase): three of five servers must serve alone", func(s *Scenario) {
		s.Faults = []Fault{{At: time.Second, Action: ActCrash, Nodes: []nodes.ID{4, 5}, Keep: true}}
	}},
	{"isolated-node", "3 servers: n3 is cut off from the other servers from the start to the end of the run (kept through the liveness phase); clients still reach it", func(s *Scenario) {
		s.Servers = 3
		s.Faults = []Fault{{At: 0, Action: ActIsolate, Node: 3, Keep: true}}
	}},
	{"transfer-lease", "6 clients, 80% gets on 3 keys, 50ms timeouts: every 800ms from 0.5s n1 is made leader, 300ms later asked to hand over to n2, and 10ms after that stops hearing the other servers (clients still reach it) until 600ms into the round", func(s *Scenario) {
		// Thesis §3.10 and §6.4.1: the transferee's voters grant it
		// their votes while they still count towards the old leader's
		// lease, so the old leader must give its lease up when it sends
		// TimeoutNow. Here the old leader, deaf to the servers, learns
		// nothing of its successor's term, while readers keep asking
		// it and writers move to the new leader. The first transfer of
		// each round, on a calm network, must hand over
		// (checker.CheckTransferEffect).
		s.Clients = 6
		s.Workload.Keys = 3
		s.Workload.Mix = client.Mix{Get: 80, Put: 15, Append: 5}
		s.Workload.ThinkTimeMean = 10 * time.Millisecond
		s.Workload.Timeout = 50 * time.Millisecond
		s.Workload.Backoff = 5 * time.Millisecond
		for at := 500 * time.Millisecond; at+600*time.Millisecond < s.FaultsEnd(); at += 800 * time.Millisecond {
			s.Faults = append(s.Faults,
				Fault{At: at, Action: ActTransferLeader, Node: 1},
				Fault{At: at + 300*time.Millisecond, Action: ActTransferLeader, Node: 2})
			for id := nodes.ID(2); id <= 5; id++ {
				s.Faults = append(s.Faults, Fault{At: at + 310*time.Millisecond, Action: ActCut, From: id, To: 1})
			}
			s.Faults = append(s.Faults, Fault{At: at + 600*time.Millisecond, Action: ActHeal})
		}
	}},
	{"swarm", "the fault mix and schedule are drawn from the seed (every fault kind but transfer-leader is a candidate)", func(s *Scenario) {
		s.Swarm = true
	}},
	{"swarm-v2", "swarm version 2: the fault mix and schedule are drawn from the seed, transfer-leader included (half the time followed by a pause or isolation of the old leader)", func(s *Scenario) {
		s.Swarm, s.SwarmVersion = true, 2
	}},
}

// Names lists the named scenarios in library order.
func Names() []string {
	names := make([]string, len(library))
	for i, n := range library {
		names[i] = n.name
	}
	return names
}

// Named returns the named scenario.
func Named(name string) (Scenario, error) {
	i := slices.IndexFunc(library, func(n named) bool { return n.name == name })
	if i < 0 {
		return Scenario{}, fmt.Errorf("unknown scenario %q (known: %v)", name, Names())
	}
	s := Base()
	s.Name = library[i].name
	s.Description = library[i].description
	library[i].build(&s)
	return s, nil
}

// allServers lists 1..n.
func allServers(n int) []nodes.ID {
	ids := make([]nodes.ID, n)
	for i := range ids {
		ids[i] = nodes.ID(i + 1)
	}
	return ids
}
