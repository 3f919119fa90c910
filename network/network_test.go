package network

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/consim/consim/nodes"
	"github.com/consim/consim/sim"
)

type ping struct{ n int }

func (ping) Kind() string { return "ping" }

type delivery struct {
	from, to nodes.ID
	n        int
	at       time.Duration
}

type sink struct {
	w   *sim.World
	got []delivery
}

func (s *sink) Deliver(from, to nodes.ID, m nodes.Message, _ uint64) {
	s.got = append(s.got, delivery{from, to, m.(ping).n, s.w.Now()})
}

// sendAll sends count pings between every ordered pair of servers 1..3 and
// runs the world.
func sendAll(t *testing.T, cfg Config, setup func(n *Network), count int) (*Network, *sink) {
	t.Helper()
	w := sim.New(42, sim.Limits{})
	s := &sink{w: w}
	n := New(w, cfg, 3, 4, s)
	if setup != nil {
		setup(n)
	}
	for i := range count {
		for a := nodes.ID(1); a <= 3; a++ {
			for b := nodes.ID(1); b <= 3; b++ {
				if a != b {
					n.Send(a, b, ping{i})
				}
			}
		}
	}
	w.Run()
	return n, s
}

func TestLatencyIsMinimumPlusTail(t *testing.T) {
	cfg := Config{LatencyMin: 5 * time.Millisecond, LatencyTailMean: 2 * time.Millisecond}
	_, s := sendAll(t, cfg, nil, 500)
	var total time.Duration
	for _, d := range s.got {
		require.GreaterOrEqual(t, d.at, cfg.LatencyMin)
		total += d.at - cfg.LatencyMin
	}
	mean := total / time.Duration(len(s.got))
	assert.InDelta(t, float64(cfg.LatencyTailMean), float64(mean), float64(cfg.LatencyTailMean)/5)
}

func TestFaultRatesAndCounters(t *testing.T) {
	tests := []struct {
		name             string
		cfg              Config
		wantDropped      float64
		wantDuplicated   float64
		wantReorderedMin int
	}{
		{"perfect", Config{LatencyMin: time.Millisecond}, 0, 0, 0},
		{"lossy", Config{LatencyMin: time.Millisecond, DropRate: 0.2}, 0.2, 0, 0},
		{"duplicating", Config{LatencyMin: time.Millisecond, DuplicateRate: 0.3}, 0, 0.3, 0},
		{"reordering", Config{LatencyMin: time.Millisecond, ReorderRate: 0.3, ReorderDelayMax: 10 * time.Millisecond}, 0, 0, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const count = 1000
			n, s := sendAll(t, tt.cfg, nil, count)
			st := n.Stats()
			require.Equal(t, uint64(6*count), st.Sent)
			assert.InDelta(t, tt.wantDropped, float64(st.Dropped)/float64(st.Sent), 0.03)
			assert.InDelta(t, tt.wantDuplicated, float64(st.Duplicated)/float64(st.Sent), 0.03)
			assert.Equal(t, st.Sent-st.Dropped+st.Duplicated, st.Delivered)
			assert.Len(t, s.got, int(st.Delivered))
			// Count overtakes on the link 1->2.
			reordered, last := 0, -1
			for _, d := range s.got {
				if d.from == 1 && d.to == 2 {
					if d.n < last {
						reordered++
					}
					last = max(last, d.n)
				}
			}
			assert.GreaterOrEqual(t, reordered, tt.wantReorderedMin)
			if tt.cfg.ReorderRate == 0 {
				assert.Zero(t, reordered, "a fixed latency keeps FIFO order")
			}
		})
	}
}

func TestPartitionsAndCuts(t *testing.T) {
	tests := []struct {
		name  string
		setup func(n *Network)
		// pass lists the links that must carry messages; all others carry none.
		pass [][2]nodes.ID
	}{
		{"none", nil, [][2]nodes.ID{{1, 2}, {1, 3}, {2, 1}, {2, 3}, {3, 1}, {3, 2}}},
		{"isolate 1", func(n *Network) { require.NoError(t, n.Isolate(1)) }, [][2]nodes.ID{{2, 3}, {3, 2}}},
		{"groups {1,2} {3}", func(n *Network) { require.NoError(t, n.Partition([][]nodes.ID{{1, 2}, {3}})) }, [][2]nodes.ID{{1, 2}, {2, 1}}},
		{"one-way cut 1->2", func(n *Network) { require.NoError(t, n.Cut(1, 2)) }, [][2]nodes.ID{{1, 3}, {2, 1}, {2, 3}, {3, 1}, {3, 2}}},
		{"healed", func(n *Network) { require.NoError(t, n.Isolate(2)); n.Heal() }, [][2]nodes.ID{{1, 2}, {1, 3}, {2, 1}, {2, 3}, {3, 1}, {3, 2}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, s := sendAll(t, Config{LatencyMin: time.Millisecond}, tt.setup, 3)
			seen := map[[2]nodes.ID]int{}
			for _, d := range s.got {
				seen[[2]nodes.ID{d.from, d.to}]++
			}
			for _, link := range tt.pass {
				assert.Equal(t, 3, seen[link], "link %v", link)
				delete(seen, link)
			}
			assert.Empty(t, seen, "links that must carry nothing")
		})
	}
}

func TestPartitionRejectsBadGroups(t *testing.T) {
	w := sim.New(1, sim.Limits{})
	n := New(w, Config{}, 3, 4, &sink{w: w})
	assert.ErrorContains(t, n.Partition([][]nodes.ID{{1, 4}, {2}}), "node 4 is not a server")
	assert.ErrorContains(t, n.Partition([][]nodes.ID{{1, 2}, {2, 3}}), "node 2 is in two groups")
	assert.ErrorContains(t, n.Cut(0, 2), "outside")
}

func TestMessagesInFlightAreDroppedWhenTheLinkIsCut(t *testing.T) {
	w := sim.New(1, sim.Limits{})
	s := &sink{w: w}
	n := New(w, Config{LatencyMin: 10 * time.Millisecond}, 3, 3, s)
	n.Send(1, 2, ping{1})
	require.NoError(t, n.Cut(1, 2))
	w.Run()
	assert.Empty(t, s.got)
	assert.Equal(t, uint64(1), n.Stats().Dropped)
}

func TestConfigValidateNamesTheField(t *testing.T) {
	assert.NoError(t, Config{}.Validate())
	assert.ErrorContains(t, Config{DropRate: 1.5}.Validate(), "drop_rate")
	assert.ErrorContains(t, Config{DuplicateRate: -0.1}.Validate(), "duplicate_rate")
	assert.ErrorContains(t, Config{LatencyMin: -1}.Validate(), "latency_min")
}

func BenchmarkNetwork(b *testing.B) {
	w := sim.New(1, sim.Limits{})
	s := &countSink{}
	n := New(w, Config{LatencyMin: time.Millisecond, LatencyTailMean: 2 * time.Millisecond, DropRate: 0.05, DuplicateRate: 0.02, ReorderRate: 0.05, ReorderDelayMax: 5 * time.Millisecond}, 5, 5, s)
	msg := nodes.Message(ping{1})
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		n.Send(nodes.ID(1+i%5), nodes.ID(1+(i+1)%5), msg)
		if w.Pending() > 1000 {
			for w.Pending() > 500 {
				w.Step()
			}
		}
	}
	b.ReportMetric(float64(w.Events())/b.Elapsed().Seconds(), "events/s")
}

type countSink struct{ n int }

func (c *countSink) Deliver(from, to nodes.ID, m nodes.Message, _ uint64) { c.n++ }
