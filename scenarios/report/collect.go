// Package report writes a sweep's report as one self-contained HTML page
// (no script, no network: tables and inline SVG drawn by this package):
// the sweep's table and failing runs, per scenario an availability
// timeline (operations completed per 100 ms of simulated time, median and
// 10th-90th percentile band across seeds, one line per protocol, fault
// windows shaded), leader changes and terms per run, and a latency CDF per
// protocol.
//
// A Collector takes the runs as a sweep streams them and keeps, whatever
// the number of seeds, a fixed-size histogram per timeline bin and per
// latency bucket, and counts of distinct leader-change and term figures:
// its memory grows with scenarios × protocols × bins (at most
// maxChartBins a chart), never with seeds.
package report

import (
	"math/bits"
	"slices"

	"github.com/consim/consim/scenarios"
)

// binBuckets is the size of the histogram of one timeline bin: counts
// below exactBelow exactly, above on a log scale of four buckets an
// octave, the last bucket holding everything beyond.
const (
	exactBelow = 16
	binBuckets = exactBelow + 4*12
)

// binBucket is the histogram bucket of v operations in a bin.
func binBucket(v int) int {
	if v < exactBelow {
		return max(v, 0)
	}
	octave := bits.Len(uint(v)) - 1 // >= 4
	sub := (v >> (octave - 2)) & 3
	return min(exactBelow+4*(octave-4)+sub, binBuckets-1)
}

// binValue is the value bucket b stands for: its own value when exact,
// else the middle of its range.
func binValue(b int) float64 {
	if b < exactBelow {
		return float64(b)
	}
	octave, sub := 4+(b-exactBelow)/4, (b-exactBelow)%4
	width := 1 << (octave - 2)
	low := (4 + sub) * width
	return float64(low) + float64(width-1)/2
}

// maxChartBins bounds the bins a chart keeps: a longer scenario's
// 100 ms bins are merged in runs of `merge` (its chart then counts
// operations per merge×100 ms). A chart is about 550 pixels wide, so
// more bins would not show; the bound keeps a group's histograms under
// maxChartBins × binBuckets × 4 bytes (150 KiB).
const maxChartBins = 600

// group aggregates the runs of one protocol on one scenario.
type group struct {
	runs int
	// merge is how many of a run's Timeline bins make one of bins.
	merge int
	// bins[i] is the histogram of the runs' operations completed in
	// timeline bin i (a run that ended before bin i adds nothing to it).
	bins [][binBuckets]uint32
	// leaderChanges and terms count the runs by their figure.
	leaderChanges map[int]int
	terms         map[uint64]int
}

// Collector aggregates a sweep's runs for its page.
type Collector struct {
	scenarios []scenarios.Scenario
	protocols []string
	groups    map[[2]string]*group
	// latency is per protocol the latency histogram of every completed
	// operation (scenarios.LatencyCounts buckets).
	latency map[string][]uint64
	// seen lists the scenarios met that are not in scenarios, in order.
	seen []string
}

// NewCollector makes a collector for a sweep of these scenarios and
// protocols, in report order.
func NewCollector(scens []scenarios.Scenario, protocols []string) *Collector {
	return &Collector{scenarios: scens, protocols: protocols, groups: map[[2]string]*group{}, latency: map[string][]uint64{}}
}

// Add counts one run; it reads only the run's figures (Timeline,
// LatencyCounts, LeaderChanges, MaxEpoch), so a shed result will do.
func (c *Collector) Add(r scenarios.Result) {
	key := [2]string{r.Scenario, r.Protocol}
	g := c.groups[key]
	if g == nil {
		bins := len(r.Timeline)
		if i := slices.IndexFunc(c.scenarios, func(s scenarios.Scenario) bool { return s.Name == r.Scenario }); i >= 0 && c.scenarios[i].Duration > 0 {
			bins = int((c.scenarios[i].Duration + scenarios.TimelineBin - 1) / scenarios.TimelineBin)
		}
		bins = min(bins, scenarios.MaxTimelineBins)
		g = &group{merge: max(1, (bins+maxChartBins-1)/maxChartBins), leaderChanges: map[int]int{}, terms: map[uint64]int{}}
		c.groups[key] = g
		if !slices.Contains(c.protocols, r.Protocol) {
			c.protocols = append(c.protocols, r.Protocol)
		}
		if !slices.ContainsFunc(c.scenarios, func(s scenarios.Scenario) bool { return s.Name == r.Scenario }) && !slices.Contains(c.seen, r.Scenario) {
			c.seen = append(c.seen, r.Scenario)
		}
	}
	g.runs++
	timeline := r.Timeline[:min(len(r.Timeline), g.merge*maxChartBins)]
	for len(g.bins)*g.merge < len(timeline) {
		g.bins = append(g.bins, [binBuckets]uint32{})
	}
	for i := 0; i < len(timeline); i += g.merge {
		sum := 0
		for _, v := range timeline[i:min(i+g.merge, len(timeline))] {
			sum += v
		}
		g.bins[i/g.merge][binBucket(sum)]++
	}
	g.leaderChanges[r.LeaderChanges]++
	g.terms[r.MaxEpoch]++
	lat := c.latency[r.Protocol]
	if lat == nil {
		lat = make([]uint64, scenarios.LatencyBuckets)
		c.latency[r.Protocol] = lat
	}
	for i, n := range r.LatencyCounts[:min(len(r.LatencyCounts), len(lat))] {
		lat[i] += uint64(n)
	}
}

// quantile is the q-quantile (0..1) of the values a bin histogram
// counts: the value of the sorted values' element at floor(q×(n-1)).
func quantile(h *[binBuckets]uint32, q float64) (float64, bool) {
	var n uint64
	for _, c := range h {
		n += uint64(c)
	}
	if n == 0 {
		return 0, false
	}
	rank := uint64(q * float64(n-1))
	var seen uint64
	for b, c := range h {
		seen += uint64(c)
		if seen > rank {
			return binValue(b), true
		}
	}
	panic("report: quantile rank beyond the histogram")
}

// countStats is the median, least and greatest of the figures counted.
func countStats[K int | uint64](counts map[K]int) (median, least, most K) {
	keys := make([]K, 0, len(counts))
	total := 0
	for k, n := range counts {
		keys = append(keys, k)
		total += n
	}
	if total == 0 {
		return 0, 0, 0
	}
	slices.Sort(keys)
	seen := 0
	for _, k := range keys {
		seen += counts[k]
		if seen > (total-1)/2 {
			median = k
			break
		}
	}
	return median, keys[0], keys[len(keys)-1]
}
