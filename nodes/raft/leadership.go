package raft

import (
	"github.com/consim/consim/nodes"
	"github.com/consim/consim/nodes/raftfacts"
)

// This file holds what keeps leadership stable and movable: the follower's
// window after hearing from the leader (PreVote, CheckQuorum), the leader's
// quorum check, and leadership transfer.

// touchLeader opens the window in which this server counts as hearing from a
// leader: ElectionTimeoutMin on its own clock. Only PreVote and CheckQuorum
// use it, so without them no timer is set.
func (n *Node) touchLeader() {
	if n.cfg.PreVote || n.cfg.CheckQuorum {
		n.arm(&n.contact, timerContact, n.cfg.ElectionTimeoutMin)
	}
}

// hearsLeader reports whether this server leads, or heard from a leader
// within ElectionTimeoutMin (or since it started).
func (n *Node) hearsLeader() bool {
	return n.role == nodes.RoleLeader || n.contact.Armed()
}

// ignoreInLease reports whether m is a vote or pre-vote request to drop
// without adopting its higher term (or, of this term, to refuse: handleVote):
// under CheckQuorum a server that hears from a leader does not let another
// candidate disrupt it (thesis §4.2.3), unless the leader itself asked for
// the election. This is what leader leases rely on (§6.4.1).
func (n *Node) ignoreInLease(m nodes.Message) bool {
	rv, ok := m.(RequestVote)
	return ok && n.cfg.CheckQuorum && !rv.Transfer && n.hearsLeader()
}

// resetActive starts a new CheckQuorum period: only the leader has answered,
// and the next check is an election timeout away.
func (n *Node) resetActive() {
	clear(n.active)
	n.active[n.selfSlot] = true
	n.arm(&n.checkQuorum, timerCheckQuorum, n.cfg.ElectionTimeoutMin)
}

// checkActiveQuorum is CheckQuorum's periodic check (thesis §6.2): a leader
// that no majority answered during the last ElectionTimeoutMin steps down,
// so that clients look for the leader elsewhere.
func (n *Node) checkActiveQuorum() {
	if countTrue(n.active) < n.quorum() && !n.cfg.Bugs.CheckQuorumNeverStepsDown {
		n.becomeFollower(n.term, 0)
		return
	}
	n.resetActive()
}

// handleTransfer starts handing leadership to `to` (thesis §3.10): the
// leader stops taking new commands, brings to's log up to date and then sends
// it TimeoutNow. The attempt is abandoned after ElectionTimeoutMin. Any other
// server, or a request naming this server or a stranger, is ignored.
func (n *Node) handleTransfer(to nodes.ID) {
	if n.role != nodes.RoleLeader || to == n.self || n.slotOf(to) < 0 || n.transferee == to {
		return
	}
	if n.transferee != 0 {
		n.endTransfer(raftfacts.TransferSuperseded)
	}
	n.transferee = to
	n.timeoutNowSent = false
	n.arm(&n.transfer, timerTransfer, n.cfg.ElectionTimeoutMin)
	if i := n.slotOf(to); n.progress[i].match < n.log.lastIndex() {
		n.sendAppend(i)
	}
	n.maybeSendTimeoutNow()
}

// maybeSendTimeoutNow sends TimeoutNow, once per attempt, to the transferee
// once its log holds every entry of the leader's. From then on the leader
// never trusts its lease again in this term: the transferee's voters grant
// it their votes even while they still hear from this leader.
func (n *Node) maybeSendTimeoutNow() {
	if n.transferee == 0 || n.timeoutNowSent || n.progress[n.slotOf(n.transferee)].match < n.log.lastIndex() {
		return
	}
	if n.cfg.Bugs.TransferWithoutTimeoutNow {
		return
	}
	n.timeoutNowSent = true
	if !n.cfg.Bugs.LeaseKeptAfterTimeoutNow {
		n.reads.revokeLease()
	}
	n.send(n.transferee, TimeoutNow{Term: n.term})
}

// endTransfer reports, for the checkers, that the transfer attempt in
// progress ended without a handover (yet) for reason, and forgets it. The
// report is a quiet fact: it changes nothing the node does, nor the trace.
func (n *Node) endTransfer(reason string) {
	n.env.Observe(TransferExpiredFact{To: n.transferee, Term: n.term, Reason: reason, TimeoutNowSent: n.timeoutNowSent})
	n.transferee = 0
}

// handleTimeoutNow stands for election at once, as the leader of this term
// asked (thesis §3.10), skipping the pre-vote. Only the leader of the term
// sends TimeoutNow, so its term is proof enough.
func (n *Node) handleTimeoutNow() {
	n.campaign(true)
}
