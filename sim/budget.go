package sim

// A memory budget for one run. A World cannot ask the Go runtime how much
// memory it holds: the answer depends on the garbage collector, on other
// Worlds of the process and on the machine, and a run must be the same run
// everywhere. So the World's owner estimates what the run holds from counts
// that are part of the run itself (operations recorded, entries committed,
// events queued), and the World ends the run once the estimate exceeds the
// budget: at the same event on every machine, for the same seed.

// A Meter estimates, in bytes, what a run holds, from counts of the run
// only (never from the runtime's memory statistics), so that the estimate,
// and the event at which a budget stops the run, are deterministic.
type Meter interface {
	Usage() uint64
}

// MeterInterval is how many events fire between two readings of a Meter:
// a budget stops a run at most this many events after the estimate
// crossed it.
const MeterInterval = 1024

// overBudget reports whether the Meter, read every MeterInterval events,
// says the run has outgrown Limits.MaxUsage. It only reads: a run that
// stays within its budget is the same run, event for event and in its
// fingerprint, with or without one.
func (w *World) overBudget() bool {
	l := &w.limits
	if l.Meter == nil || w.events == 0 || w.events%MeterInterval != 0 {
		return false
	}
	return l.Meter.Usage() > l.MaxUsage
}

// recordOverhead is what a kept Record costs besides its detail text: the
// struct in the trace slice, the string header, and the slice's slack.
const recordOverhead = 96

// keep appends r to the trace unless the trace has reached
// Limits.MaxTraceBytes; from then on no record is kept, and the last one
// kept says why.
func (w *World) keep(r Record) {
	cost := recordOverhead + uint64(len(r.Detail))
	if max := w.limits.MaxTraceBytes; max > 0 && w.traceBytes+cost > max {
		w.traceTruncated = true
		w.trace = append(w.trace, Record{At: w.now, Kind: KindFault,
			Detail: "trace truncated: the kept trace reached its share of the memory budget; later events are not shown (the run went on: its fingerprint and verdict cover every event)"})
		return
	}
	w.traceBytes += cost
	w.trace = append(w.trace, r)
}

// TraceTruncated reports whether the trace stopped being kept at
// Limits.MaxTraceBytes: the kept records are then a prefix of the run.
func (w *World) TraceTruncated() bool { return w.traceTruncated }
