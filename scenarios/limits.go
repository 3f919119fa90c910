package scenarios

// The limits on what one scenario may ask for, checked when a scenario is
// validated (Scenario.Validate, and so when a file is read). They stop, at
// read time and with the field named, inputs that no run could serve: a
// run of years, or a workload whose history the linearizability checker
// cannot search. What a run may hold beyond them is bounded at run time by
// its memory budget (Options.MemoryBudget, simrun --max-memory; see
// budget.go). Every named scenario and every regression case fits each
// limit with room to spare (TestNamedScenariosFitTheLimits).

import (
	"fmt"
	"math"
	"time"

	"github.com/consim/consim/nodes/client"
)

// The limits. They are fixed: a scenario beyond one is an error whatever
// the flags; a longer or heavier run is many runs (sweep more seeds), and
// what each run may hold is --max-memory.
const (
	// MaxServers bounds the cluster: the checkers compare every pair of
	// servers, and consensus clusters beyond 7 are rare already.
	MaxServers = 15
	// MaxClients bounds the simulated clients.
	MaxClients = 100
	// MaxDuration is the longest run, in simulated time. Named scenarios
	// run 6s; a default workload of MaxDuration records about 58,000
	// operations, half of the default memory budget.
	MaxDuration = 10 * time.Minute
	// MaxKeys bounds the key space.
	MaxKeys = 1_000_000
	// MaxKeyLoad bounds the operations per simulated second the workload
	// may offer its busiest key (see keyLoad). Porcupine checks each key's
	// operations as one search whose cost explodes with how many of them
	// overlap: at 357 per second on one key (100 clients, 44ms think time,
	// 5 keys) one run's check outgrows 20 seconds and 600 MB, at 500 (30
	// clients without think time on 5 keys) 5 seconds and 190 MB. The
	// named scenarios offer at most 152 (lossy-failover), the regression
	// corpus 182.
	MaxKeyLoad = 300
)

// checkLimits says which limit s exceeds, naming the field, the limit and
// what to do instead. Servers and clients are checked by Validate itself.
func (s Scenario) checkLimits() []error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if s.Duration > MaxDuration {
		add("duration: %v is longer than %v, the longest run accepted (a fixed limit: for more coverage, sweep more seeds)", s.Duration, MaxDuration)
	}
	if s.Clients < 1 || s.Clients > MaxClients || s.Workload.Validate() != nil {
		return errs
	}
	w := s.Workload
	if w.Keys > MaxKeys {
		add("workload.keys: %d, need at most %d (a fixed limit)", w.Keys, MaxKeys)
		return errs
	}
	if load := s.keyLoad(); load > MaxKeyLoad {
		add("workload.think_time_mean: %v with %d clients on %s offers up to %s operations per simulated second to the busiest key (clients / (think_time_mean + %v, two round trips) x its share %.2f); the limit is %d (fixed: Porcupine's search of one key's operations explodes beyond it): use a think time of at least %v, fewer clients or more keys",
			w.ThinkTimeMean, s.Clients, keysText(w), loadText(load), s.operationTime(), hottestShare(w), MaxKeyLoad, s.minThinkTime().Round(time.Millisecond))
	}
	return errs
}

// keyLoad is the operations per simulated second the clients offer the
// busiest key. A client calls its next operation a think time after the
// last one returned, and an operation takes two round trips (client to
// leader and back, leader to a majority and back; a lease read takes one)
// of at least the fastest link's mean latency, so a client makes about 1 /
// (think + operationTime) calls a second, and the busiest key gets its
// share of them: 1/keys when uniform, more when zipfian. +Inf when nothing
// slows the clients down.
func (s Scenario) keyLoad() float64 {
	cycle := s.Workload.ThinkTimeMean + s.operationTime()
	if cycle <= 0 {
		return math.Inf(1)
	}
	return float64(s.Clients) / cycle.Seconds() * hottestShare(s.Workload)
}

// operationTime is two round trips at the smallest mean latency any link
// has (latency_min + latency_tail_mean of the network or one of its links).
func (s Scenario) operationTime() time.Duration {
	oneWay := s.Network.LatencyMin + s.Network.LatencyTailMean
	for _, l := range s.Network.Links {
		oneWay = min(oneWay, l.LatencyMin+l.LatencyTailMean)
	}
	return 4 * oneWay
}

// minThinkTime is the think time that brings the key load down to
// MaxKeyLoad, for the error's hint.
func (s Scenario) minThinkTime() time.Duration {
	cycle := time.Duration(float64(s.Clients) * hottestShare(s.Workload) / MaxKeyLoad * float64(time.Second))
	return max(cycle-s.operationTime(), 0) + time.Millisecond
}

// hottestShare is the share of the operations the busiest key gets: 1/keys
// when uniform; with zipfian keys k0's, 1 / sum over k of (1+k)^-s, as
// math/rand's Zipf with v = 1 draws them (nodes/client).
func hottestShare(w client.Config) float64 {
	if w.Keys < 1 {
		return 1
	}
	if w.KeyDistribution != "zipfian" {
		return 1 / float64(w.Keys)
	}
	exponent := w.ZipfExponent
	if exponent == 0 {
		exponent = 1.2
	}
	// The first terms one by one, the rest (if any) as the integral of
	// x^-s from there: close enough, and quick for a million keys.
	const terms = 10_000
	sum := 0.0
	for k := range min(w.Keys, terms) {
		sum += math.Pow(float64(1+k), -exponent)
	}
	if w.Keys > terms {
		sum += (math.Pow(terms+0.5, 1-exponent) - math.Pow(float64(w.Keys)+0.5, 1-exponent)) / (exponent - 1)
	}
	return 1 / sum
}

func keysText(w client.Config) string {
	if w.KeyDistribution == "zipfian" {
		return fmt.Sprintf("%d zipfian keys", w.Keys)
	}
	if w.Keys == 1 {
		return "1 key"
	}
	return fmt.Sprintf("%d keys", w.Keys)
}

func loadText(load float64) string {
	if math.IsInf(load, 1) {
		return "unboundedly many (no think time and no latency)"
	}
	return fmt.Sprintf("%.0f", load)
}
