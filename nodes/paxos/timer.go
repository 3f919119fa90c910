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
type timer = nodes.Rearmable

// arm (re)sets tm to fire after the given delay.
func (n *Node) arm(tm *timer, kind int, after time.Duration) { tm.Arm(n.env, kind, after) }

// disarm cancels tm if it is pending.
func (n *Node) disarm(tm *timer) { tm.Disarm(n.env) }

// resetFailureTimer arms the failure timer with a fresh timeout drawn from
// [FailureTimeoutMin, FailureTimeoutMax).
func (n *Node) resetFailureTimer() {
	timeout := n.cfg.FailureTimeoutMin
	if span := n.cfg.FailureTimeoutMax - n.cfg.FailureTimeoutMin; span > 0 {
		timeout += time.Duration(n.env.Rand().Int64N(int64(span)))
	}
	n.arm(&n.failure, timerFailure, timeout)
}
