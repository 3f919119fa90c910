package main

import (
	"fmt"

	"github.com/consim/consim/scenarios"
	"github.com/consim/consim/sim"
)

// stopViolation is the reason the runner gives the World when a checker
// reports a violation during the run (scenarios' run.report).
const stopViolation = "violation"

// eventsText says what a run's event count counts: the World's events
// fired, which are fewer than a trace's records (a send, a drop or a fact
// is a record, not an event).
func eventsText(r scenarios.Result) string {
	return fmt.Sprintf("%d fired (message deliveries, timers, faults; a trace also records sends, drops and facts)", r.Events)
}

// endedText says why a run ended, in words: a run that ends at its
// duration is the normal case, not a timeout.
func endedText(r scenarios.Result) string {
	switch sim.StopReason(r.Stop) {
	case sim.StopTimeLimit:
		return fmt.Sprintf("at the scenario's duration, %v (the normal end)", r.SimTime)
	case stopViolation:
		return fmt.Sprintf("early, at %v: a checker found a violation", r.SimTime)
	case sim.StopEventLimit:
		return fmt.Sprintf("early, at %v: the World's limit of %d events was reached", r.SimTime, r.Events)
	case sim.StopBudget:
		return fmt.Sprintf("early, at %v: the run reached its memory budget (--max-memory)", r.SimTime)
	case sim.StopQuiescent:
		return fmt.Sprintf("early, at %v: nothing was left to happen (no event queued)", r.SimTime)
	}
	return fmt.Sprintf("at %v: %s", r.SimTime, r.Stop)
}
