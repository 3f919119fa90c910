package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/consim/consim/scenarios"
)

// sweepBenchSeeds is how many seeds one pass of BenchmarkSweepScaling runs.
const sweepBenchSeeds = 24

// BenchmarkSweepScaling runs the same seeds of the steady scenario (Raft,
// 6 simulated seconds, every check) through the worker pool simrun sweep
// uses, once on one worker and once on two, per iteration. It reports each
// pass's seeds/s and the scaling ratio (seeds/s on two workers over seeds/s
// on one; the target is 0.9 × 2 = 1.8). Run it with -benchtime 5x or more:
// the ratio compares passes of the same iteration, so a machine that gets
// busier part way skews it less than two separate benchmarks would. The
// garbage collector is tuned as simrun tunes it (tuneGC) unless $GOGC is
// set.
func BenchmarkSweepScaling(b *testing.B) {
	if _, set := os.LookupEnv("GOGC"); !set {
		defer debug.SetGCPercent(debug.SetGCPercent(gcPercent))
	}
	s, err := scenarios.Named("steady")
	if err != nil {
		b.Fatal(err)
	}
	inv := invocation{ctx: context.Background()}
	simulate := func(j job) (scenarios.Result, error) { return inv.runScenario(*j.scenario, j.options) }
	jobAt := func(i int) job { return job{&s, scenarios.Options{Protocol: "raft", Seed: uint64(i + 1)}} }
	var cpuOne, cpuTwo time.Duration
	pass := func(workers int) time.Duration {
		started, cpu := time.Now(), processCPU()
		defer func() {
			if workers == 1 {
				cpuOne += processCPU() - cpu
			} else {
				cpuTwo += processCPU() - cpu
			}
		}()
		err := streamJobs(context.Background(), sweepBenchSeeds, jobAt, workers, simulate, nil, func(_ int, r scenarios.Result) {
			if r.Failed() {
				b.Fatalf("seed %d: %s", r.Seed, r.Verdict)
			}
		})
		if err != nil {
			b.Fatal(err)
		}
		return time.Since(started)
	}
	var one, two time.Duration
	b.ResetTimer()
	for range b.N {
		one += pass(1)
		two += pass(2)
	}
	seeds := float64(sweepBenchSeeds * b.N)
	rateOne, rateTwo := seeds/one.Seconds(), seeds/two.Seconds()
	b.ReportMetric(rateOne, "seeds/s-K1")
	b.ReportMetric(rateTwo, "seeds/s-K2")
	b.ReportMetric(rateTwo/rateOne, "scaling-K2")
	if cpuOne > 0 && cpuTwo > 0 {
		// The CPU a seed costs on each pass. Their ratio bounds the
		// scaling an idle machine would show (2 × cpu-K1 / cpu-K2):
		// what two workers lose to each other (the collector's share,
		// caches) shows here even when other jobs take the cores.
		b.ReportMetric(cpuOne.Seconds()*1000/seeds, "cpu-ms/seed-K1")
		b.ReportMetric(cpuTwo.Seconds()*1000/seeds, "cpu-ms/seed-K2")
		b.ReportMetric(2*cpuOne.Seconds()/cpuTwo.Seconds(), "cpu-scaling-K2")
	}
}

// BenchmarkSweepMemory runs sweeps of 1,000 and 10,000 runs of a
// one-second scenario (testdata/blip.yaml, JSON lines to nowhere) and
// reports the heap in use, after a collection, when the last run has
// finished: what the sweep holds for its runs. Flat means the two figures
// are about equal. Run it with -benchtime 1x.
func BenchmarkSweepMemory(b *testing.B) {
	for range b.N {
		for _, runs := range []int{1_000, 10_000} {
			var heap uint64
			inv := invocation{ctx: context.Background(), stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard,
				finished: func(done int) {
					if done == runs {
						var m runtime.MemStats
						runtime.GC()
						runtime.ReadMemStats(&m)
						heap = m.HeapInuse
					}
				}}
			args := []string{"sweep", "--scenario-file", "testdata/blip.yaml", "--seeds", fmt.Sprintf("1:%d", runs), "--json", "--artifacts=", "--workers", "2"}
			if code := inv.run(args); code != exitOK {
				b.Fatalf("%v: exit %d", args, code)
			}
			b.ReportMetric(float64(heap)/(1<<20), fmt.Sprintf("heap-MB-%druns", runs))
		}
	}
}
