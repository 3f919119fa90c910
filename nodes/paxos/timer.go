package paxos

import (
	"time"

	"github.com/consim/consim/nodes"
)

// Timer kinds, in nodes.Timer.Kind; nodes.Timer.Arg is the arming's number.
const (
	timerFailure = iota + 1
	timerHeartbeat
)

// timer is one re-armable timer of a node.
type timer struct {
	// id is the pending timer's id; meaningful only when armed.
	id nodes.TimerID
	// arg is the number of the current arming, carried in nodes.Timer.Arg.
	arg   uint64
	armed bool
}

// fired reports whether t is the current arming of tm firing, and disarms it.
func (tm *timer) fired(t nodes.Timer) bool {
	if !tm.armed || t.Arg != tm.arg {
		return false
	}
	tm.armed = false
	return true
}

// arm (re)sets tm to fire after the given delay.
func (n *Node) arm(tm *timer, kind int, after time.Duration) {
	n.disarm(tm)
	n.timerSeq++
	tm.arg = n.timerSeq
	tm.id = n.env.SetTimer(after, nodes.Timer{Kind: kind, Arg: tm.arg})
	tm.armed = true
}

// disarm cancels tm if it is pending.
func (n *Node) disarm(tm *timer) {
	if tm.armed {
		n.env.CancelTimer(tm.id)
		tm.armed = false
	}
}

// resetFailureTimer arms the failure timer with a fresh timeout drawn from
// [FailureTimeoutMin, FailureTimeoutMax).
func (n *Node) resetFailureTimer() {
	timeout := n.cfg.FailureTimeoutMin
	if span := n.cfg.FailureTimeoutMax - n.cfg.FailureTimeoutMin; span > 0 {
		timeout += time.Duration(n.env.Rand().Int64N(int64(span)))
	}
	n.arm(&n.failure, timerFailure, timeout)
}
