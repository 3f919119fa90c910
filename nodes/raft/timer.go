package raft

import (
	"time"

	"github.com/consim/consim/nodes"
)

// Timer kinds, in nodes.Timer.Kind; nodes.Timer.Arg is the arming's number.
const (
	timerElection = iota + 1
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

// resetElectionTimer arms the election timer with a fresh timeout drawn from
// [ElectionTimeoutMin, ElectionTimeoutMax) (§5.2).
func (n *Node) resetElectionTimer() {
	timeout := n.cfg.ElectionTimeoutMin
	if span := n.cfg.ElectionTimeoutMax - n.cfg.ElectionTimeoutMin; span > 0 {
		timeout += time.Duration(n.env.Rand().Int64N(int64(span)))
	}
	n.arm(&n.election, timerElection, timeout)
}
