// Package sim is the deterministic discrete-event core of consim: a virtual
// clock, an event queue ordered by (time, insertion sequence), random streams
// derived from one seed, run limits, and a fingerprint (and, on request, a
// trace) of everything that happens.
//
// A World is single-threaded: nothing in it may start a goroutine, read the
// wall clock, or draw from a global random source. Parallelism lives above
// it, one World per goroutine.
//
// sim imports no other package of this project.
package sim

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"time"
)

// A Handler receives the events it scheduled. The event is valid only during
// the call.
type Handler interface {
	Handle(e *Event)
}

// An Event is one scheduled happening. Its fields other than At are for the
// handler that scheduled it; the World reads only At and the ordering key.
type Event struct {
	// At is the simulated time at which the event fires.
	At time.Duration
	// seq breaks ties between events with the same At: insertion order.
	seq uint64
	// Handler is called when the event fires.
	Handler Handler
	// Code, From, To and Ref are handler-defined.
	Code     int
	From, To int
	Ref      uint64
	// Payload is handler-defined; it must not be mutated after scheduling.
	Payload any
}

// Limits bound a run. A zero field means "no limit" for that dimension,
// except that a World always has an event limit (DefaultMaxEvents) so that no
// run loops forever.
type Limits struct {
	// MaxTime ends the run when the next event would fire after it.
	MaxTime time.Duration
	// MaxEvents ends the run after this many events have fired.
	MaxEvents uint64
	// Meter and MaxUsage bound what a run holds (see budget.go): every
	// MeterInterval events the World asks Meter for its usage and ends the
	// run with StopBudget once it exceeds MaxUsage. Nil: no budget.
	Meter    Meter
	MaxUsage uint64
	// MaxTraceBytes bounds the kept trace (see EnableTrace): past it the
	// World stops keeping records, and the run goes on unchanged
	// (TraceTruncated). Zero: no bound.
	MaxTraceBytes uint64
}

// DefaultMaxEvents bounds runs whose Limits leave MaxEvents at zero.
const DefaultMaxEvents = 50_000_000

// StopReason says why Run returned.
type StopReason string

const (
	StopTimeLimit  StopReason = "time limit"
	StopEventLimit StopReason = "event limit"
	StopQuiescent  StopReason = "no events left"
	// StopBudget: the Meter's usage exceeded MaxUsage.
	StopBudget StopReason = "memory budget"
)

// World is one simulated universe. Create it with New.
type World struct {
	seed   uint64
	now    time.Duration
	seq    uint64
	queue  eventQueue
	limits Limits
	events uint64

	stopped    bool
	stopReason StopReason

	fingerprint uint64
	kinds       kindCache
	tracing     bool
	trace       []Record
	// traceBytes estimates the kept trace's size; traceTruncated says
	// records were left out past Limits.MaxTraceBytes.
	traceBytes     uint64
	traceTruncated bool
}

// New returns a World for seed with the given limits.
func New(seed uint64, limits Limits) *World {
	if limits.MaxEvents == 0 {
		limits.MaxEvents = DefaultMaxEvents
	}
	return &World{seed: seed, limits: limits, fingerprint: fnvOffset}
}

// Seed is the seed this World was built from.
func (w *World) Seed() uint64 { return w.seed }

// Now is the simulated time since the World began.
func (w *World) Now() time.Duration { return w.now }

// Events is the number of events fired so far.
func (w *World) Events() uint64 { return w.events }

// Limits returns the run limits.
func (w *World) Limits() Limits { return w.limits }

// Stream returns a random stream for the named consumer, derived from the
// seed and the name only, so that one consumer's draws never shift another's.
// Ask once per consumer and keep the stream.
func (w *World) Stream(name string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(name))
	return rand.New(rand.NewPCG(w.seed, h.Sum64()))
}

// A Ticket names one scheduled event, for Cancel. The zero Ticket names
// none.
type Ticket struct {
	seq  uint64
	slot int32
}

// Schedule queues e to fire after delay (clamped at zero) from now, and
// returns the ticket that cancels it.
func (w *World) Schedule(delay time.Duration, e Event) Ticket {
	if delay < 0 {
		delay = 0
	}
	e.At = w.now + delay
	w.seq++
	e.seq = w.seq
	return Ticket{seq: e.seq, slot: w.queue.push(e)}
}

// Cancel takes the event of t out of the queue, so that it never fires, and
// reports whether it was still queued (false once it has fired or been
// cancelled). A cancelled event leaves no trace: the events around it keep
// their order, and it is not counted in Events. A timer that is re-armed
// again and again (an election timeout) is then one queued event, not one
// per arming.
func (w *World) Cancel(t Ticket) bool { return w.queue.remove(t) }

// Pending is the number of queued events.
func (w *World) Pending() int { return w.queue.len() }

// Stop ends the run after the current event, with reason.
func (w *World) Stop(reason StopReason) {
	if w.stopped {
		return
	}
	w.stopped = true
	w.stopReason = reason
}

// Stopped reports whether Stop was called or a limit was reached.
func (w *World) Stopped() bool { return w.stopped }

// Run fires events in (time, sequence) order until the queue is empty, a
// limit is reached or a handler calls Stop, and says why it stopped.
func (w *World) Run() StopReason {
	for w.Step() {
	}
	return w.stopReason
}

// Step fires the next event and reports whether the run goes on: false once
// the queue is empty, a limit is reached or Stop was called.
func (w *World) Step() bool {
	if w.stopped {
		return false
	}
	if w.queue.len() == 0 {
		w.Stop(StopQuiescent)
		return false
	}
	if w.limits.MaxTime > 0 && w.queue.next().at > w.limits.MaxTime {
		w.now = w.limits.MaxTime
		w.Stop(StopTimeLimit)
		return false
	}
	if w.events >= w.limits.MaxEvents {
		w.Stop(StopEventLimit)
		return false
	}
	if w.overBudget() {
		w.Stop(StopBudget)
		return false
	}
	// The handler gets the event in its slot, not a copy: the slot leaves
	// the heap now and returns to the free list only after the call, so
	// nothing scheduled meanwhile can take it.
	slot := w.queue.pop()
	e := w.queue.event(slot)
	if e.At < w.now {
		panic(fmt.Sprintf("sim: event at %v fires before now %v", e.At, w.now))
	}
	w.now = e.At
	w.events++
	e.Handler.Handle(e)
	w.queue.release(slot)
	return !w.stopped
}

// eventQueue is a binary min-heap of events by (At, seq). The heap itself
// holds only pointer-free keys; the events live in a slab of slots reused
// through a free list. Sifting then moves small plain values, with no GC
// write barriers, and scheduling allocates nothing once the slab has grown.
// pos[slot] is the slot's place in the heap (-1 while the slot is free), so
// that an event can be removed from the middle (Cancel).
type eventQueue struct {
	heap  []eventKey
	slots []Event
	pos   []int32
	free  []int32
}

// eventKey orders one queued event; slot indexes eventQueue.slots.
type eventKey struct {
	at   time.Duration
	seq  uint64
	slot int32
}

func (k eventKey) before(o eventKey) bool {
	if k.at != o.at {
		return k.at < o.at
	}
	return k.seq < o.seq
}

func (q *eventQueue) len() int { return len(q.heap) }

// next is the key of the earliest event; the queue must not be empty.
func (q *eventQueue) next() eventKey { return q.heap[0] }

// push queues e and returns its slot.
func (q *eventQueue) push(e Event) int32 {
	var slot int32
	if n := len(q.free); n > 0 {
		slot = q.free[n-1]
		q.free = q.free[:n-1]
		q.slots[slot] = e
	} else {
		slot = int32(len(q.slots))
		q.slots = append(q.slots, e)
		q.pos = append(q.pos, -1)
	}
	q.heap = append(q.heap, eventKey{at: e.At, seq: e.seq, slot: slot})
	q.up(len(q.heap) - 1)
	return slot
}

// up moves the key at i towards the root until its parent is earlier.
func (q *eventQueue) up(i int) {
	h := q.heap
	key := h[i]
	for i > 0 {
		parent := (i - 1) / 2
		if !key.before(h[parent]) {
			break
		}
		h[i] = h[parent]
		q.pos[h[i].slot] = int32(i)
		i = parent
	}
	h[i] = key
	q.pos[key.slot] = int32(i)
}

// down moves the key at i towards the leaves until its children are later.
func (q *eventQueue) down(i int) {
	h := q.heap
	key := h[i]
	for {
		left := 2*i + 1
		if left >= len(h) {
			break
		}
		smallest := left
		if right := left + 1; right < len(h) && h[right].before(h[left]) {
			smallest = right
		}
		if !h[smallest].before(key) {
			break
		}
		h[i] = h[smallest]
		q.pos[h[i].slot] = int32(i)
		i = smallest
	}
	h[i] = key
	q.pos[key.slot] = int32(i)
}

// cut takes the key at heap index i out of the heap and returns its slot,
// which stays taken until release.
func (q *eventQueue) cut(i int) int32 {
	slot := q.heap[i].slot
	last := len(q.heap) - 1
	if i != last {
		q.heap[i] = q.heap[last]
		q.heap = q.heap[:last]
		if i > 0 && q.heap[i].before(q.heap[(i-1)/2]) {
			q.up(i)
		} else {
			q.down(i)
		}
	} else {
		q.heap = q.heap[:last]
	}
	q.pos[slot] = -1
	return slot
}

// release empties a slot that cut took out of the heap and returns it to
// the free list.
func (q *eventQueue) release(slot int32) {
	q.slots[slot] = Event{} // drop references for the garbage collector
	q.free = append(q.free, slot)
}

// pop takes the earliest event out of the heap and returns its slot; the
// caller reads it through event and then releases the slot.
func (q *eventQueue) pop() int32 { return q.cut(0) }

// event is the event in a slot. The pointer is valid until the slot is
// released; a slab that grows meanwhile leaves it pointing at the old
// array, whose copy of the event is still intact.
func (q *eventQueue) event(slot int32) *Event { return &q.slots[slot] }

// remove takes the event of t out of the queue if it is still there.
func (q *eventQueue) remove(t Ticket) bool {
	if t.seq == 0 || int(t.slot) >= len(q.slots) {
		return false
	}
	i := q.pos[t.slot]
	if i < 0 || q.heap[i].seq != t.seq {
		return false // fired or cancelled; the slot may hold another event
	}
	q.release(q.cut(int(i)))
	return true
}
