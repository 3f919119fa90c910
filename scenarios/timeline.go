package scenarios

import (
	"math"
	"time"

	"github.com/consim/consim/nodes/client"
)

// TimelineBin is the width of one bin of Result.Timeline, in simulated
// time.
const TimelineBin = 100 * time.Millisecond

// MaxTimelineBins bounds Result.Timeline: a run longer than
// MaxTimelineBins×TimelineBin has only its beginning binned, so that a
// result stays small however long the run.
const MaxTimelineBins = 3000

// timeline counts the operations of history that completed in each
// TimelineBin of simulated time 0..end: bin i holds those whose Return is
// in [i×TimelineBin, (i+1)×TimelineBin). It only reads the history, so it
// cannot change a run or its fingerprint.
func timeline(history []client.Op, end time.Duration) []int {
	bins := min(int((end+TimelineBin-1)/TimelineBin), MaxTimelineBins)
	if bins <= 0 {
		return nil
	}
	counts := make([]int, bins)
	for _, op := range history {
		if !op.Completed {
			continue
		}
		if i := int(op.Return / TimelineBin); i >= 0 && i < bins {
			counts[i]++
		}
	}
	return counts
}

// LatencyBuckets is how many buckets Result.LatencyCounts has: a fixed
// log scale of LatencyBucketsPerDecade buckets a decade from
// LatencyBucketFloor (bucket 0 also holds everything below it) up, the
// last bucket holding everything beyond. Fixed buckets let a sweep add up
// the latencies of any number of runs in constant memory.
const LatencyBuckets = 8*LatencyBucketsPerDecade + 1

// LatencyBucketsPerDecade is the resolution of LatencyCounts.
const LatencyBucketsPerDecade = 10

// LatencyBucketFloor is the lower end of bucket 1 of LatencyCounts; the
// scale spans eight decades from it (10µs to 1000s).
const LatencyBucketFloor = 10 * time.Microsecond

// LatencyBucket is the bucket of LatencyCounts a latency falls in.
func LatencyBucket(d time.Duration) int {
	if d < LatencyBucketFloor {
		return 0
	}
	b := 1 + int(math.Floor(LatencyBucketsPerDecade*math.Log10(float64(d)/float64(LatencyBucketFloor))))
	return min(b, LatencyBuckets-1)
}

// LatencyBucketUpper is the upper end of bucket b of LatencyCounts (the
// last bucket has none: it returns its lower end).
func LatencyBucketUpper(b int) time.Duration {
	b = min(b, LatencyBuckets-2)
	return time.Duration(float64(LatencyBucketFloor) * math.Pow(10, float64(b)/LatencyBucketsPerDecade))
}

// latencyCounts counts the latencies in LatencyBuckets buckets.
func latencyCounts(latencies []time.Duration) []int {
	if len(latencies) == 0 {
		return nil
	}
	counts := make([]int, LatencyBuckets)
	for _, d := range latencies {
		counts[LatencyBucket(d)]++
	}
	return counts
}
