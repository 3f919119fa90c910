package sim

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// recorder is a handler that remembers the order events fire in.
type recorder struct {
	w     *World
	fired []int
	// then, if set, runs after recording (to schedule more).
	then func(e *Event)
}

func (r *recorder) Handle(e *Event) {
	r.fired = append(r.fired, e.Code)
	r.w.Note(KindTimer, e.Code, 0, uint64(e.Code), nil)
	if r.then != nil {
		r.then(e)
	}
}

func TestEventsFireInTimeThenInsertionOrder(t *testing.T) {
	w := New(1, Limits{})
	r := &recorder{w: w}
	delays := []time.Duration{30, 10, 20, 10, 0, 20, 10}
	for i, d := range delays {
		w.Schedule(d, Event{Handler: r, Code: i})
	}
	require.Equal(t, StopQuiescent, w.Run())
	assert.Equal(t, []int{4, 1, 3, 6, 2, 5, 0}, r.fired)
	assert.Equal(t, time.Duration(30), w.Now())
	assert.Equal(t, uint64(len(delays)), w.Events())
}

// TestCancelTakesAnEventOutAndKeepsTheOthersInOrder: cancelled events never
// fire and are not counted; the others fire in (time, insertion) order, as
// if the cancelled ones had never been scheduled; a ticket of an event that
// fired or was cancelled cancels nothing, even once its slot is reused.
func TestCancelTakesAnEventOutAndKeepsTheOthersInOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for round := range 50 {
		w := New(1, Limits{})
		r := &recorder{w: w}
		var tickets []Ticket
		var delays []time.Duration
		cancelled := map[int]bool{}
		for i := range 200 {
			delays = append(delays, time.Duration(rng.IntN(50)))
			tickets = append(tickets, w.Schedule(delays[i], Event{Handler: r, Code: i}))
			if i > 0 && rng.IntN(3) == 0 {
				k := rng.IntN(i)
				assert.Equal(t, !cancelled[k], w.Cancel(tickets[k]), "round %d: event %d", round, k)
				cancelled[k] = true
			}
		}
		var want []int
		for i := range tickets {
			if !cancelled[i] {
				want = append(want, i)
			}
		}
		slices.SortStableFunc(want, func(a, b int) int { return cmp.Compare(delays[a], delays[b]) })
		require.Equal(t, len(want), w.Pending())
		// Reuse the freed slots: old tickets must not cancel new events.
		for range 10 {
			w.Schedule(1000, Event{Handler: r, Code: -1})
		}
		for k := range cancelled {
			assert.False(t, w.Cancel(tickets[k]), "round %d: event %d's ticket cancelled again", round, k)
		}
		w.Run()
		assert.Equal(t, append(want, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1), r.fired, "round %d", round)
		assert.Equal(t, uint64(len(want)+10), w.Events())
		for _, tk := range tickets {
			assert.False(t, w.Cancel(tk), "round %d: a fired event's ticket cancelled something", round)
		}
	}
}

func TestLimitsEndRunsWithAReason(t *testing.T) {
	tests := []struct {
		name   string
		limits Limits
		want   StopReason
		events uint64
		now    time.Duration
	}{
		{"time limit", Limits{MaxTime: 35 * time.Millisecond}, StopTimeLimit, 3, 35 * time.Millisecond},
		{"event limit", Limits{MaxEvents: 5}, StopEventLimit, 5, 50 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := New(1, tt.limits)
			r := &recorder{w: w}
			// A handler that reschedules itself forever: only a limit ends it.
			r.then = func(e *Event) { w.Schedule(10*time.Millisecond, Event{Handler: r, Code: e.Code + 1}) }
			w.Schedule(10*time.Millisecond, Event{Handler: r})
			assert.Equal(t, tt.want, w.Run())
			assert.Equal(t, tt.events, w.Events())
			assert.Equal(t, tt.now, w.Now())
		})
	}
}

func TestStopEndsTheRunAfterTheCurrentEvent(t *testing.T) {
	w := New(1, Limits{})
	r := &recorder{w: w}
	r.then = func(e *Event) {
		if e.Code == 2 {
			w.Stop("violation")
		}
	}
	for i := range 5 {
		w.Schedule(time.Duration(i), Event{Handler: r, Code: i})
	}
	assert.Equal(t, StopReason("violation"), w.Run())
	assert.Equal(t, []int{0, 1, 2}, r.fired)
}

func TestStreamsDependOnSeedAndNameOnly(t *testing.T) {
	a, b := New(7, Limits{}), New(7, Limits{})
	assert.Equal(t, a.Stream("network").Uint64(), b.Stream("network").Uint64(), "same seed and name")
	// Drawing from one stream does not shift another.
	x := a.Stream("node/1")
	for range 100 {
		x.Uint64()
	}
	assert.Equal(t, a.Stream("node/2").Uint64(), b.Stream("node/2").Uint64())
	assert.NotEqual(t, a.Stream("node/1").Uint64(), a.Stream("node/2").Uint64(), "different names")
	assert.NotEqual(t, New(8, Limits{}).Stream("network").Uint64(), b.Stream("network").Uint64(), "different seeds")
}

func TestFingerprintIsDeterministicAndSensitive(t *testing.T) {
	run := func(order []int, trace bool) (uint64, []Record) {
		w := New(1, Limits{})
		if trace {
			w.EnableTrace()
		}
		r := &recorder{w: w}
		for _, i := range order {
			w.Schedule(time.Duration(i), Event{Handler: r, Code: i})
		}
		w.Run()
		return w.Fingerprint(), w.Trace()
	}
	f1, _ := run([]int{1, 2, 3}, false)
	f2, records := run([]int{1, 2, 3}, true)
	f3, _ := run([]int{1, 2, 4}, false)
	assert.Equal(t, f1, f2, "tracing does not change the fingerprint")
	assert.NotEqual(t, f1, f3)
	require.Len(t, records, 3)
	assert.Equal(t, KindTimer, records[0].Kind)
}

func BenchmarkEventLoop(b *testing.B) {
	w := New(1, Limits{MaxEvents: uint64(b.N)})
	h := &selfScheduler{w: w}
	// A standing population of 1000 pending events, like a busy cluster.
	for i := range 1000 {
		w.Schedule(time.Duration(i), Event{Handler: h})
	}
	b.ReportAllocs()
	b.ResetTimer()
	w.Run()
	b.ReportMetric(float64(w.Events())/b.Elapsed().Seconds(), "events/s")
}

// selfScheduler keeps the queue populated: each event schedules another.
type selfScheduler struct{ w *World }

func (s *selfScheduler) Handle(e *Event) {
	s.w.Note(KindTimer, e.From, e.To, 0, nil)
	s.w.Schedule(time.Duration(1+s.w.Events()%997)*time.Microsecond, Event{Handler: s})
}
