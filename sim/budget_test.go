package sim

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// countingMeter reports usage growing with the events fired, and counts
// its readings.
type countingMeter struct {
	w        *World
	perEvent uint64
	readings int
}

func (m *countingMeter) Usage() uint64 {
	m.readings++
	return m.w.Events() * m.perEvent
}

// chain schedules events one after another, forever: each event schedules
// the next 1ns later.
func chain(w *World) *recorder {
	r := &recorder{w: w}
	r.then = func(e *Event) { w.Schedule(1, Event{Handler: r, Code: e.Code + 1}) }
	w.Schedule(0, Event{Handler: r, Code: 0})
	return r
}

// TestBudgetStopsTheRunAtTheFirstReadingOverIt: the meter is read every
// MeterInterval events, and the run stops, with StopBudget, at the first
// reading over MaxUsage: the same event every time.
func TestBudgetStopsTheRunAtTheFirstReadingOverIt(t *testing.T) {
	tests := []struct {
		name     string
		maxUsage uint64
		events   uint64 // events fired when the run stops
	}{
		{"over at the first reading", MeterInterval - 1, MeterInterval},
		{"at the budget is not over it", MeterInterval, 2 * MeterInterval},
		{"over at the third reading", 2*MeterInterval + 1, 3 * MeterInterval},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := New(1, Limits{MaxTime: time.Hour})
			m := &countingMeter{w: w, perEvent: 1}
			w.limits.Meter, w.limits.MaxUsage = m, tt.maxUsage
			chain(w)
			require.Equal(t, StopBudget, w.Run())
			assert.Equal(t, tt.events, w.Events())
			assert.Equal(t, int(tt.events/MeterInterval), m.readings, "read once per MeterInterval events")
		})
	}
}

// TestBudgetUnderItChangesNothing: a run that stays within its budget has
// the fingerprint, events and end of the same run without one.
func TestBudgetUnderItChangesNothing(t *testing.T) {
	run := func(budgeted bool) (*World, *countingMeter) {
		w := New(7, Limits{MaxTime: 10_000})
		var m *countingMeter
		if budgeted {
			m = &countingMeter{w: w, perEvent: 1}
			w.limits.Meter, w.limits.MaxUsage = m, 1<<62
		}
		chain(w)
		require.Equal(t, StopTimeLimit, w.Run())
		return w, m
	}
	plain, _ := run(false)
	budgeted, meter := run(true)
	assert.Equal(t, plain.Events(), budgeted.Events())
	assert.Equal(t, plain.Fingerprint(), budgeted.Fingerprint())
	assert.Positive(t, meter.readings, "the meter was read")
}

// TestTraceTruncatesAtItsBoundAndTheRunGoesOn: past MaxTraceBytes the
// trace keeps no more records (the last one says why), and the run,
// fingerprint included, is the run without the bound.
func TestTraceTruncatesAtItsBoundAndTheRunGoesOn(t *testing.T) {
	run := func(maxTrace uint64) *World {
		w := New(3, Limits{MaxTime: 5_000, MaxTraceBytes: maxTrace})
		w.EnableTrace()
		chain(w)
		w.Run()
		return w
	}
	whole, cut := run(0), run(100*recordOverhead)
	require.False(t, whole.TraceTruncated())
	require.True(t, cut.TraceTruncated())
	assert.Len(t, whole.Trace(), int(whole.Events()))
	assert.Len(t, cut.Trace(), 101, "100 records and the note")
	assert.Contains(t, cut.Trace()[100].Detail, "trace truncated")
	assert.Equal(t, whole.Trace()[:100], cut.Trace()[:100])
	assert.Equal(t, whole.Fingerprint(), cut.Fingerprint())
	assert.Equal(t, whole.Events(), cut.Events())
}
