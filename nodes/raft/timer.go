package raft

import (
	"time"

	"github.com/consim/consim/nodes"
)

// Timer kinds, in nodes.Timer.Kind; nodes.Timer.Arg is the arming's number.
const (
	timerElection = iota + 1
	timerHeartbeat
	// timerContact is a follower's window after it last heard from the
	// leader (Config.PreVote, Config.CheckQuorum).
	timerContact
	// timerCheckQuorum is the leader's periodic quorum check.
	timerCheckQuorum
	// timerTransfer bounds a leadership transfer.
	timerTransfer
	// timerLease ends the lease of one confirmation round; Arg is the
	// round, not an arming (it is set with Env.SetTimer directly).
	timerLease
)

// timer is one re-armable timer of a node.
type timer = nodes.Rearmable

// arm (re)sets tm to fire after the given delay.
func (n *Node) arm(tm *timer, kind int, after time.Duration) { tm.Arm(n.env, kind, after) }

// disarm cancels tm if it is pending.
func (n *Node) disarm(tm *timer) { tm.Disarm(n.env) }

// resetElectionTimer arms the election timer with a fresh timeout drawn from
// [ElectionTimeoutMin, ElectionTimeoutMax) (§5.2).
func (n *Node) resetElectionTimer() {
	timeout := n.cfg.ElectionTimeoutMin
	if span := n.cfg.ElectionTimeoutMax - n.cfg.ElectionTimeoutMin; span > 0 {
		timeout += time.Duration(n.env.Rand().Int64N(int64(span)))
	}
	n.arm(&n.election, timerElection, timeout)
}
