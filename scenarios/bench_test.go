package scenarios

import (
	"fmt"
	"os"
	"runtime/debug"
	"testing"
	"time"
)

// simrunGCPercent is the garbage collector's setting that cmd/simrun runs
// with (its gcPercent): the benchmarks measure runs as simrun makes them.
const simrunGCPercent = 400

// tuneGC sets the collector as simrun does, GOGC=simrunGCPercent unless
// $GOGC is set (GOGC=100 measures with Go's default), and returns a
// function that restores the previous setting.
func tuneGC() (restore func()) {
	if _, set := os.LookupEnv("GOGC"); set {
		return func() {}
	}
	previous := debug.SetGCPercent(simrunGCPercent)
	return func() { debug.SetGCPercent(previous) }
}

// benchmarkScenario runs the steady scenario stretched to 10 simulated
// seconds, one seed per iteration, and reports the domain figures.
func benchmarkScenario(b *testing.B, protocol, name string) {
	s, err := Named(name)
	if err != nil {
		b.Fatal(err)
	}
	s.Duration = 10 * time.Second
	benchmarkRuns(b, s, protocol)
}

// benchmarkRuns runs s one seed per iteration, with the collector set as
// simrun sets it (tuneGC), and reports events/s, simulated seconds per wall
// second, seeds/s, events per seed and allocations per event.
func benchmarkRuns(b *testing.B, s Scenario, protocol string) {
	defer tuneGC()()
	var events uint64
	var simulated time.Duration
	var ops int
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		res, err := Run(s, Options{Protocol: protocol, Seed: uint64(i + 1)})
		if err != nil {
			b.Fatal(err)
		}
		if res.Failed() {
			b.Fatalf("seed %d: %s: %v", i+1, res.Verdict, res.Violations)
		}
		events += res.Events
		simulated += res.SimTime
		ops += res.OpsOK + res.OpsUnknown
	}
	wall := b.Elapsed().Seconds()
	b.ReportMetric(float64(events)/wall, "events/s")
	b.ReportMetric(simulated.Seconds()/wall, "sim-s/wall-s")
	b.ReportMetric(float64(b.N)/wall, "seeds/s")
	b.ReportMetric(float64(events)/float64(b.N), "events/seed")
	b.ReportMetric(float64(ops)/float64(b.N), "ops/seed")
}

// BenchmarkRaft5Steady is a full 5-node Raft run: 3 clients, 10 simulated
// seconds, checked by every checker.
func BenchmarkRaft5Steady(b *testing.B) { benchmarkScenario(b, "raft", "steady") }

// BenchmarkPaxos5Steady is a full 5-node Multi-Paxos run: 3 clients, 10
// simulated seconds, checked by every checker.
func BenchmarkPaxos5Steady(b *testing.B) { benchmarkScenario(b, "paxos", "steady") }

// BenchmarkRaft5Swarm is the same under a fault mix drawn from each seed.
func BenchmarkRaft5Swarm(b *testing.B) { benchmarkScenario(b, "raft", "swarm") }

// BenchmarkClusterSize shows how a run's cost grows with the cluster: the
// steady scenario, 10 simulated seconds, 3 to 9 servers.
func BenchmarkClusterSize(b *testing.B) {
	for _, protocol := range []string{"raft", "paxos"} {
		for _, servers := range []int{3, 5, 7, 9} {
			b.Run(fmt.Sprintf("%s/%d", protocol, servers), func(b *testing.B) {
				s := Base()
				s.Name, s.Servers, s.Duration = "steady", servers, 10*time.Second
				benchmarkRuns(b, s, protocol)
			})
		}
	}
}

// BenchmarkHistoryLength shows how a run's cost (simulation and the
// Porcupine check) grows with the number of operations: 10 clients on 10
// keys with no think time, run long enough for about 1k, 10k and 100k
// operations.
func BenchmarkHistoryLength(b *testing.B) {
	for _, ops := range []int{1_000, 10_000, 100_000} {
		b.Run(fmt.Sprintf("raft/%dops", ops), func(b *testing.B) {
			s := Base()
			s.Name, s.Clients, s.Workload.Keys, s.Workload.ThinkTimeMean = "steady", 10, 10, 0
			// About 700 operations per simulated second at this load.
			s.Duration = time.Duration(ops) * time.Second / 700
			s.LivenessWindow = min(s.LivenessWindow, s.Duration/4)
			benchmarkRuns(b, s, "raft")
		})
	}
}
