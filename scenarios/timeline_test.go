package scenarios

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/consim/consim/nodes/client"
)

func TestTimelineCountsCompletedOperationsPerBin(t *testing.T) {
	ms := time.Millisecond
	history := []client.Op{
		{Call: 10 * ms, Return: 50 * ms, Completed: true},
		{Call: 60 * ms, Return: 99 * ms, Completed: true},
		{Call: 90 * ms, Return: 100 * ms, Completed: true},
		{Call: 120 * ms}, // never completed: not counted
		{Call: 200 * ms, Return: 260 * ms, Completed: true}, // bin 2
	}
	assert.Equal(t, []int{2, 1, 1}, timeline(history, 250*ms), "a partial last bin counts")
	assert.Nil(t, timeline(history, 0))
	assert.Len(t, timeline(nil, time.Hour), MaxTimelineBins, "long runs keep only their beginning")
}

func TestLatencyBucketsAreAFixedLogScale(t *testing.T) {
	tests := []struct {
		latency time.Duration
		bucket  int
	}{
		{0, 0},
		{9 * time.Microsecond, 0},
		{10 * time.Microsecond, 1},
		{100 * time.Microsecond, 1 + LatencyBucketsPerDecade},
		{10 * time.Millisecond, 1 + 3*LatencyBucketsPerDecade},
		{time.Hour, LatencyBuckets - 1},
	}
	for _, test := range tests {
		assert.Equal(t, test.bucket, LatencyBucket(test.latency), "%v", test.latency)
	}
	for b := 1; b < LatencyBuckets-1; b++ {
		require.Equal(t, b, LatencyBucket(LatencyBucketUpper(b-1)+1), "bucket %d starts where %d ends", b, b-1)
	}
	counts := latencyCounts([]time.Duration{time.Millisecond, time.Millisecond, time.Second})
	assert.Len(t, counts, LatencyBuckets)
	assert.Equal(t, 2, counts[LatencyBucket(time.Millisecond)])
}

func TestARunCarriesItsTimelineAndLatencies(t *testing.T) {
	s, err := Named("leader-isolation")
	require.NoError(t, err)
	r, err := Run(s, Options{Protocol: "raft", Seed: 1})
	require.NoError(t, err)
	require.Len(t, r.Timeline, int(s.Duration/TimelineBin))
	total := 0
	for _, n := range r.Timeline {
		total += n
	}
	assert.Equal(t, r.OpsOK, total, "every completed operation is in one bin")
	latencies := 0
	for _, n := range r.LatencyCounts {
		latencies += n
	}
	assert.Equal(t, r.OpsOK, latencies)
}
