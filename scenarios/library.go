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
			s.Faults = append(s.Faults, Fault{At: at, Action: ActHeal}, Fault{At: at, Action: ActRandomPartition})
		}
	}},
	{"swarm", "the fault mix and schedule are drawn from the seed (partitions, cuts, crashes, loss)", func(s *Scenario) {
		s.Swarm = true
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
