package scenarios

import (
	"testing"
	"time"
)

// benchmarkScenario runs the steady scenario stretched to 10 simulated
// seconds, one seed per iteration, and reports the domain figures.
func benchmarkScenario(b *testing.B, protocol, name string) {
	s, err := Named(name)
	if err != nil {
		b.Fatal(err)
	}
	s.Duration = 10 * time.Second
	var events uint64
	var simulated time.Duration
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
	}
	wall := b.Elapsed().Seconds()
	b.ReportMetric(float64(events)/wall, "events/s")
	b.ReportMetric(simulated.Seconds()/wall, "sim-s/wall-s")
	b.ReportMetric(float64(b.N)/wall, "seeds/s")
	b.ReportMetric(float64(events)/float64(b.N), "events/seed")
}

// BenchmarkRaft5Steady is a full 5-node Raft run: 3 clients, 10 simulated
// seconds, checked by every checker.
func BenchmarkRaft5Steady(b *testing.B) { benchmarkScenario(b, "raft", "steady") }

// BenchmarkPaxos5Steady is a full 5-node Multi-Paxos run: 3 clients, 10
// simulated seconds, checked by every checker.
func BenchmarkPaxos5Steady(b *testing.B) { benchmarkScenario(b, "paxos", "steady") }

// BenchmarkRaft5Swarm is the same under a fault mix drawn from each seed.
func BenchmarkRaft5Swarm(b *testing.B) { benchmarkScenario(b, "raft", "swarm") }
