package scenarios

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/consim/consim/checker"
	"github.com/consim/consim/nodes"
	"github.com/consim/consim/sim"
)

// traceOf runs the base scenario with faults on raft and returns its result.
func traceOf(t *testing.T, seed uint64, mutate func(s *Scenario)) Result {
	t.Helper()
	s := Base()
	s.Name = t.Name()
	mutate(&s)
	res, err := Run(s, Options{Protocol: "raft", Seed: seed, Trace: true})
	require.NoError(t, err)
	return res
}

// deliveries counts server-to-server deliveries per (from, to) in [from, to).
func deliveries(res Result, servers int, start, end time.Duration) map[[2]int]int {
	links := map[[2]int]int{}
	for _, r := range res.Trace {
		if r.Kind == sim.KindDeliver && r.At >= start && r.At < end && r.From <= servers && r.To <= servers {
			links[[2]int{r.From, r.To}]++
		}
	}
	return links
}

// faultDetail returns the detail of the first fault record containing word.
func faultDetail(t *testing.T, res Result, word string) string {
	t.Helper()
	for _, r := range res.Trace {
		if r.Kind == sim.KindFault && strings.Contains(r.Detail, word) {
			return r.Detail
		}
	}
	t.Fatalf("no fault record mentions %q", word)
	return ""
}

func TestFaultEffectsInTheTrace(t *testing.T) {
	// Messages sent before a partition may still arrive during its first
	// few milliseconds... but a partition drops in-flight messages too, so
	// the window can start right at the fault.
	const start, end = time.Second, 3 * time.Second
	tests := []struct {
		name  string
		fault Fault
		check func(t *testing.T, res Result, links map[[2]int]int)
	}{
		{"bridge: the bridge talks to both sides, the sides never to each other", Fault{At: start, Action: ActBridge, Node: 3},
			func(t *testing.T, res Result, links map[[2]int]int) {
				detail := faultDetail(t, res, "bridge")
				var a, b []int
				for id := 1; id <= 5; id++ {
					if id == 3 {
						continue
					}
					if strings.Contains(detail[strings.Index(detail, "between"):strings.Index(detail, "and")], string(rune('0'+id))) {
						a = append(a, id)
					} else {
						b = append(b, id)
					}
				}
				require.Len(t, a, 2, detail)
				for _, x := range a {
					for _, y := range b {
						assert.Zero(t, links[[2]int{x, y}]+links[[2]int{y, x}], "%d and %d are on different sides: %s", x, y, detail)
					}
				}
				for _, x := range append(a, b...) {
					assert.Positive(t, links[[2]int{3, x}]+links[[2]int{x, 3}], "the bridge n3 talks with n%d", x)
				}
			}},
		{"one-way cut: messages flow one way only", Fault{At: start, Action: ActCut, From: 2, To: 1},
			func(t *testing.T, res Result, links map[[2]int]int) {
				assert.Zero(t, links[[2]int{2, 1}])
				assert.Positive(t, links[[2]int{1, 2}])
			}},
		{"majorities ring: every server hears exactly two others", Fault{At: start, Action: ActMajoritiesRing},
			func(t *testing.T, res Result, links map[[2]int]int) {
				for id := 1; id <= 5; id++ {
					peers := 0
					for other := 1; other <= 5; other++ {
						if links[[2]int{other, id}] > 0 {
							peers++
						}
					}
					assert.LessOrEqual(t, peers, 2, "n%d hears from %d servers", id, peers)
				}
			}},
		{"isolate: n4 exchanges nothing with the other servers", Fault{At: start, Action: ActIsolate, Node: 4},
			func(t *testing.T, res Result, links map[[2]int]int) {
				for other := 1; other <= 5; other++ {
					assert.Zero(t, links[[2]int{4, other}]+links[[2]int{other, 4}])
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := traceOf(t, 3, func(s *Scenario) {
				s.Faults = []Fault{tt.fault, {At: end, Action: ActHeal}}
			})
			require.Equal(t, VerdictOK, res.Verdict, "%v", res.Violations)
			tt.check(t, res, deliveries(res, 5, start, end))
		})
	}
}

func TestPauseHoldsEveryInputUntilItEnds(t *testing.T) {
	res := traceOf(t, 4, func(s *Scenario) {
		s.Faults = []Fault{{At: time.Second, Action: ActPause, Node: 2, Duration: 500 * time.Millisecond}}
	})
	require.Equal(t, VerdictOK, res.Verdict, "%v", res.Violations)
	during, after := 0, 0
	for _, r := range res.Trace {
		handled := (r.Kind == sim.KindDeliver && r.To == 2) || (r.Kind == sim.KindTimer && r.From == 2)
		switch {
		case handled && r.At > time.Second && r.At < 1500*time.Millisecond:
			during++
		case handled && r.At == 1500*time.Millisecond:
			after++
		}
	}
	assert.Zero(t, during, "a paused node handles nothing")
	assert.Greater(t, after, 5, "on resume it handles its backlog at once")
}

func TestDriftSpeedsUpTimers(t *testing.T) {
	count := func(factor float64) int {
		res := traceOf(t, 5, func(s *Scenario) {
			s.Clients = 0
			s.Faults = []Fault{{At: 0, Action: ActIsolate, Node: 2}}
			if factor != 1 {
				s.Faults = append(s.Faults, Fault{At: 0, Action: ActDrift, Node: 2, Factor: factor})
			}
		})
		timers := 0
		for _, r := range res.Trace {
			if r.Kind == sim.KindTimer && r.From == 2 && r.At < 3*time.Second {
				timers++
			}
		}
		return timers
	}
	normal, fast := count(1), count(4)
	assert.Greater(t, fast, 3*normal, "an isolated node's election timer fires about 4x as often (normal %d, fast %d)", normal, fast)
}

func TestClogDelaysMessages(t *testing.T) {
	// Clog every link between servers: every server-to-server message
	// then takes at least the clog's delay.
	const delay = 400 * time.Millisecond
	res := traceOf(t, 6, func(s *Scenario) {
		for a := nodes.ID(1); a <= 5; a++ {
			for b := a + 1; b <= 5; b++ {
				s.Faults = append(s.Faults, Fault{At: 0, Action: ActClog, From: a, To: b, Delay: delay})
			}
		}
	})
	firstSend := map[[2]int]time.Duration{}
	checked := 0
	for _, r := range res.Trace {
		if r.From < 1 || r.From > 5 || r.To < 1 || r.To > 5 || r.At >= res.Played.FaultsEnd() {
			continue
		}
		link := [2]int{r.From, r.To}
		switch r.Kind {
		case sim.KindSend:
			if _, ok := firstSend[link]; !ok {
				firstSend[link] = r.At
			}
		case sim.KindDeliver:
			sent, ok := firstSend[link]
			require.True(t, ok, "delivery without a send on %v", link)
			assert.GreaterOrEqual(t, r.At-sent, delay, "the first delivery on %v", link)
			checked++
		}
	}
	assert.Positive(t, checked)
}

func TestCorruptDiskHaltsTheNode(t *testing.T) {
	res := traceOf(t, 7, func(s *Scenario) {
		s.Faults = []Fault{
			{At: 1500 * time.Millisecond, Action: ActCrash, Node: 2, Disk: DiskCorrupt},
			{At: 2 * time.Second, Action: ActRestart, Node: 2},
		}
	})
	require.Equal(t, VerdictOK, res.Verdict, "%v", res.Violations)
	halted := false
	for _, r := range res.Trace {
		if r.Kind == sim.KindHalt && r.From == 2 {
			halted = true
			assert.Contains(t, r.Detail, "corrupt storage")
		}
	}
	assert.True(t, halted, "the restarted node finds the corrupt record and halts")
	assert.Positive(t, res.Halts)
}

// TestNoMajorityIsALivenessFailure keeps three of five servers down through
// the liveness phase: the run must be reported as a liveness failure, not a
// pass and not a safety violation.
func TestNoMajorityIsALivenessFailure(t *testing.T) {
	res := traceOf(t, 8, func(s *Scenario) {
		s.KeepFaults = true
		s.Faults = []Fault{{At: time.Second, Action: ActCrash, Nodes: []nodes.ID{1, 2, 3}}}
	})
	assert.Equal(t, string(checker.ClassLiveness), res.Verdict, "%v", res.Violations)
	for _, v := range res.Violations {
		assert.Equal(t, checker.ClassLiveness, v.Class, "%v", v)
	}
}

// TestSilenceIsStuck cuts every server off from every other, with no
// clients: the servers run, but nothing reaches anyone, and the run is
// reported stuck with the state of each server.
func TestSilenceIsStuck(t *testing.T) {
	res := traceOf(t, 9, func(s *Scenario) {
		s.KeepFaults = true
		s.Clients = 0
		s.Faults = []Fault{{At: time.Second, Action: ActPartition, Groups: [][]nodes.ID{{1}, {2}, {3}, {4}, {5}}}}
	})
	require.Equal(t, string(checker.ClassStuck), res.Verdict, "%v", res.Violations)
	assert.Contains(t, res.Violations[0].Detail, "n1=up/")
}

// TestEverythingDownIsNotStuck crashes every server until the liveness
// phase: a silence the schedule made, which the watchdog must not blame.
func TestEverythingDownIsNotStuck(t *testing.T) {
	res := traceOf(t, 9, func(s *Scenario) {
		s.Faults = []Fault{{At: time.Second, Action: ActCrashAll}}
	})
	assert.Equal(t, VerdictOK, res.Verdict, "%v", res.Violations)
}

func TestPlayedSwarmScenarioReplaysTheSameRun(t *testing.T) {
	s, _ := Named("swarm")
	for seed := uint64(1); seed <= 200; seed++ {
		// Every drawn schedule is a valid scenario file.
		drawn := Draw(s, seed)
		data, err := MarshalScenario(drawn)
		require.NoError(t, err)
		back, err := ParseScenario("drawn.yaml", data)
		require.NoError(t, err, "seed %d", seed)
		require.Equal(t, drawn, back, "seed %d", seed)
	}
	for seed := uint64(1); seed <= 5; seed++ {
		a, err := Run(s, Options{Protocol: "raft", Seed: seed})
		require.NoError(t, err)
		require.False(t, a.Played.Swarm)
		b, err := Run(a.Played, Options{Protocol: "raft", Seed: seed})
		require.NoError(t, err)
		assert.Equal(t, a.Fingerprint, b.Fingerprint, "seed %d", seed)
	}
}

// TestTransferLeaderIsDeliveredToTheLeader: the request reaches the server
// that leads when the fault fires, straight after the fault's trace line,
// naming the transferee (given, or drawn among the other servers), even
// while the leader is cut off from the others.
func TestTransferLeaderIsDeliveredToTheLeader(t *testing.T) {
	tests := []struct {
		name   string
		faults []Fault
		to     nodes.ID // 0: any server but the leader
	}{
		{"to a given server", []Fault{{At: time.Second, Action: ActTransferLeader, Node: 4}}, 4},
		{"to a random other server", []Fault{{At: time.Second, Action: ActTransferLeader}}, 0},
		{"past a partition", []Fault{
			{At: 900 * time.Millisecond, Action: ActIsolateLeader},
			{At: time.Second, Action: ActTransferLeader, Node: 2},
			{At: 2 * time.Second, Action: ActHeal},
		}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := traceOf(t, 5, func(s *Scenario) { s.Faults = tt.faults })
			require.Equal(t, VerdictOK, res.Verdict, "%v", res.Violations)
			leader := leaderAt(res, time.Second)
			require.NotZero(t, leader, "a leader by 1s")
			i := slices.IndexFunc(res.Trace, func(r sim.Record) bool {
				return r.Kind == sim.KindFault && strings.HasPrefix(r.Detail, "transfer-leader")
			})
			require.GreaterOrEqual(t, i, 0, "the fault is in the trace")
			fault := res.Trace[i]
			var to nodes.ID
			_, err := fmt.Sscanf(fault.Detail, fmt.Sprintf("transfer-leader n%d -> n%%d", leader), &to)
			require.NoError(t, err, "the fault names the leader n%d: %q", leader, fault.Detail)
			if tt.to != 0 {
				assert.Equal(t, tt.to, to)
			} else {
				assert.NotEqual(t, leader, to)
				assert.True(t, to >= 1 && to <= 5, "n%d is a server", to)
			}
			require.Greater(t, len(res.Trace), i+1)
			deliver := res.Trace[i+1]
			assert.Equal(t, sim.KindDeliver, deliver.Kind, "the next record delivers the request: %+v", deliver)
			assert.Equal(t, fault.At, deliver.At)
			assert.Equal(t, int(leader), deliver.To, "delivered to the leader")
			assert.Equal(t, nodes.TransferLeadership{To: to}.String(), deliver.Detail)
		})
	}
}

// leaderAt is the server that most recently became leader of the highest
// epoch before at, from the facts of the trace.
func leaderAt(res Result, at time.Duration) nodes.ID {
	var leader nodes.ID
	var epoch uint64
	for _, r := range res.Trace {
		if r.At >= at {
			break
		}
		var e uint64
		if r.Kind == sim.KindFact {
			if _, err := fmt.Sscanf(r.Detail, "role leader epoch %d", &e); err == nil && e >= epoch {
				leader, epoch = nodes.ID(r.From), e
			}
		}
	}
	return leader
}

// TestTransferLeaderToACrashedLeaderIsDropped: a transfer sent to a crashed leader
// is dropped at its door, and the trace says so.
func TestTransferLeaderToACrashedLeaderIsDropped(t *testing.T) {
	res := traceOf(t, 5, func(s *Scenario) {
		s.Faults = []Fault{
			{At: time.Second, Action: ActCrashLeader},
			{At: time.Second, Action: ActTransferLeader},
			{At: 2 * time.Second, Action: ActRestart},
		}
	})
	require.Equal(t, VerdictOK, res.Verdict, "%v", res.Violations)
	i := slices.IndexFunc(res.Trace, func(r sim.Record) bool {
		return r.Kind == sim.KindFault && strings.HasPrefix(r.Detail, "transfer-leader")
	})
	require.GreaterOrEqual(t, i, 0)
	drop := res.Trace[i+1]
	assert.Equal(t, sim.KindDrop, drop.Kind, "%+v", drop)
	assert.Equal(t, "destination down", drop.Detail)
}
