package main

import (
	"bytes"
	"context"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/consim/consim/scenarios"
)

// TestStreamJobsEmitsEveryRunOnceInJobOrder: runs that finish out of order
// (random run times on four workers) are still emitted in job order, one
// emit call at a time.
func TestStreamJobsEmitsEveryRunOnceInJobOrder(t *testing.T) {
	const n = 200
	s := scenarios.Base()
	jobAt := func(i int) job { return job{&s, scenarios.Options{Seed: uint64(i)}} }
	simulate := func(j job) (scenarios.Result, error) {
		time.Sleep(time.Duration(rand.IntN(200)) * time.Microsecond)
		return scenarios.Result{Seed: j.options.Seed, Verdict: scenarios.VerdictOK}, nil
	}
	var emitted []int
	var inEmit atomic.Int32
	err := streamJobs(context.Background(), n, jobAt, 4, simulate, nil, func(i int, r scenarios.Result) {
		require.Equal(t, int32(1), inEmit.Add(1), "emit calls overlap")
		defer inEmit.Add(-1)
		assert.Equal(t, uint64(i), r.Seed)
		if i%50 == 0 {
			time.Sleep(2 * time.Millisecond) // a slow emit: the workers go on
		}
		emitted = append(emitted, i)
	})
	require.NoError(t, err)
	want := make([]int, n)
	for i := range want {
		want[i] = i
	}
	assert.Equal(t, want, emitted)
}

// TestDurationCountsMedianIsTheSortedMedian: the median of the counted,
// rounded durations is the rounded value at len/2 of the sorted durations,
// which is what the table showed when it kept every run's value.
func TestDurationCountsMedianIsTheSortedMedian(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 1; n <= 50; n++ {
		c := durationCounts{}
		var all []time.Duration
		for range n {
			d := time.Duration(rng.IntN(200)) * 7 * time.Microsecond
			c.add(d)
			all = append(all, d)
		}
		slices.Sort(all)
		assert.Equal(t, all[len(all)/2].Round(latencyRounding), c.median(), "n=%d", n)
	}
	assert.Zero(t, durationCounts{}.median())
}

// TestTheSweepTableShowsTermsPerRun: terms/run is the mean over runs of the
// highest epoch a server reached.
func TestTheSweepTableShowsTermsPerRun(t *testing.T) {
	results := []scenarios.Result{
		{Protocol: "raft", Scenario: "steady", Seed: 1, Verdict: scenarios.VerdictOK, MaxEpoch: 2, WallTime: time.Millisecond},
		{Protocol: "raft", Scenario: "steady", Seed: 2, Verdict: scenarios.VerdictOK, MaxEpoch: 5, WallTime: time.Millisecond},
	}
	var out bytes.Buffer
	printSweep(&out, sweepHeader{first: 1, last: 2, shard: wholeRange, workers: 1, wall: time.Second}, results)
	lines := bytes.Split(out.Bytes(), []byte("\n"))
	require.GreaterOrEqual(t, len(lines), 3, out.String())
	header, row := string(lines[1]), string(lines[2])
	assert.Contains(t, header, "terms/run")
	assert.Contains(t, row, " 3.5 ", "the mean of 2 and 5")
}
