package paxos

import (
	"github.com/consim/consim/nodes"
	"github.com/consim/consim/nodes/kv"
)

// The requests below are served by every server in any role: as acceptor
// (Prepare, Accept) and as learner (Accept, Heartbeat, Learn). A request
// whose ballot is below the promise is answered with a Nack; one at or above
// it comes from a leader this node admits.

// handlePrepare is phase 1b ("Paxos Made Simple" §2.2): promise a ballot
// above every ballot promised so far and report what was accepted. The
// promise is durable before the reply. A candidate or leader that sees a
// higher ballot steps down. Promising a new ballot restarts the failure
// timer, as granting a vote restarts a Raft follower's election timer
// (Raft Figure 2): the sender is running phase 1 and will be heard from if
// it wins, so standing at once would only start a duel of proposers (Paxos
// Made Simple §3) that deposes it. A Prepare that is disregarded, rejected
// or repeated leaves the timer alone.
func (n *Node) handlePrepare(from nodes.ID, m Prepare) {
	n.sawBallot(m.Ballot)
	if n.below(m.Ballot, n.promised) {
		n.send(from, Nack{Ballot: m.Ballot, Promised: n.promised})
		return
	}
	if n.below(n.promised, m.Ballot) && n.disregards(from) {
		return // a leader is alive; its sender learns nothing from a Nack
	}
	if n.below(n.promised, m.Ballot) {
		n.writePromise(m.Ballot)
		if n.role != nodes.RoleFollower {
			n.becomeFollower(0)
		}
		n.leader = 0
		n.resetFailureTimer()
	}
	n.persist()
	n.send(from, n.promiseFor(m.Ballot, m.From))
}

// promiseFor builds the Promise of ballot b reporting slots from on: the
// learned value where there is one, else the accepted proposal. With
// Bugs.PromiseOmitsAccepted it reports nothing.
func (n *Node) promiseFor(b Ballot, from uint64) Promise {
	p := Promise{Ballot: b, From: from}
	if n.cfg.Bugs.PromiseOmitsAccepted {
		return p
	}
	for s := max(from, 1); s <= uint64(len(n.slots)); s++ {
		sl := &n.slots[s-1]
		switch {
		case sl.chosen:
			p.Entries = append(p.Entries, PromiseEntry{Slot: s, Chosen: true, Cmd: sl.value})
		case !sl.acceptedBallot.IsZero():
			p.Entries = append(p.Entries, PromiseEntry{Slot: s, Ballot: sl.acceptedBallot, Cmd: sl.accepted})
		}
	}
	return p
}

// handleAccept is phase 2b: accept the proposals unless a higher ballot was
// promised (accepting raises the promise to the ballot), learn what the
// leader says is chosen, and reply once all of it is durable.
func (n *Node) handleAccept(from nodes.ID, m Accept) {
	if m.Slot == 0 {
		return // malformed
	}
	if n.cfg.Bugs.AcceptBelowPromise && n.below(m.Ballot, n.promised) {
		n.acceptBelowPromise(from, m)
		return
	}
	if !n.admit(from, m.Ballot, true) {
		return
	}
	n.writeAccept(m.Ballot, m.Slot, m.Cmds)
	n.learnByBallot(m.Ballot, m.Chosen)
	n.persist()
	n.send(from, Accepted{Ballot: m.Ballot, Slot: m.Slot, Count: uint64(len(m.Cmds))})
	n.applyLearned()
}

// acceptBelowPromise is Bugs.AcceptBelowPromise: the acceptor accepts the
// proposals of a ballot below its promise and answers Accepted, as if P1a
// did not hold. It neither follows that ballot's leader nor learns from it.
func (n *Node) acceptBelowPromise(from nodes.ID, m Accept) {
	n.writeAccept(m.Ballot, m.Slot, m.Cmds)
	n.persist()
	n.send(from, Accepted{Ballot: m.Ballot, Slot: m.Slot, Count: uint64(len(m.Cmds))})
}

// handleHeartbeat learns what the leader says is chosen and reports the
// chosen prefix, so that the leader can send what is missing.
func (n *Node) handleHeartbeat(from nodes.ID, m Heartbeat) {
	if !n.admit(from, m.Ballot, false) {
		return
	}
	n.learnByBallot(m.Ballot, m.Chosen)
	n.persist()
	n.send(from, Progress{Ballot: m.Ballot, Learned: n.learned})
	n.applyLearned()
}

// handleLearn learns the chosen values the leader sent and reports the
// chosen prefix.
func (n *Node) handleLearn(from nodes.ID, m Learn) {
	if m.Slot == 0 {
		return // malformed
	}
	if !n.admit(from, m.Ballot, false) {
		return
	}
	n.writeLearn(m.Slot, m.Cmds)
	n.persist()
	n.send(from, Progress{Ballot: m.Ballot, Learned: n.learned})
	n.applyLearned()
}

// admit decides whether a leader's request of ballot b is served: below
// the promise it is answered with a Nack and dropped; otherwise, with raise
// (an Accept: accepting binds the acceptor as a promise would), the promise
// is raised to b, and this node follows b's leader.
func (n *Node) admit(from nodes.ID, b Ballot, raise bool) bool {
	n.sawBallot(b)
	if n.below(b, n.promised) {
		n.send(from, Nack{Ballot: b, Promised: n.promised})
		return false
	}
	if raise && n.below(n.promised, b) {
		n.writePromise(b)
	}
	n.followLeader(b)
	return true
}

// learnByBallot learns, at the slots up to chosen (the chosen prefix of the
// leader of b), the proposals this acceptor accepted in ballot b. That is
// sound because the leader of b proposed those values in b, at most one per
// slot, and knows a slot it proposed at as chosen only because a majority
// accepted its proposal there: it proposes only at slots it has not
// learned, and while it leads b it learns from nothing else (a request of
// another ballot makes it step down or is rejected). A slot accepted in
// another ballot is left to a Learn: the value chosen there may differ.
func (n *Node) learnByBallot(b Ballot, chosen uint64) {
	upTo := min(chosen, uint64(len(n.slots)))
	for s := n.learned + 1; s <= upTo; {
		if sl := &n.slots[s-1]; sl.chosen || sl.acceptedBallot != b {
			s++
			continue
		}
		first := s
		var cmds []kv.Command
		for ; s <= upTo && !n.slots[s-1].chosen && n.slots[s-1].acceptedBallot == b; s++ {
			cmds = append(cmds, n.slots[s-1].accepted)
		}
		n.writeLearn(first, cmds)
	}
}
