package paxos

import (
	"fmt"

	"github.com/consim/consim/nodes"
)

// The become functions are the only places where the proposer's role
// changes. Each reports nodes.RoleChanged when the role changed, with Epoch =
// the round of the ballot that goes with the role (the promise for a
// follower, its own ballot for a candidate or leader).

// becomeFollower makes the node follower of leader (0 if unknown). Any role
// may become follower.
func (n *Node) becomeFollower(leader nodes.ID) {
	changed := n.role != nodes.RoleFollower
	n.role = nodes.RoleFollower
	n.leader = leader
	n.clearWaits()
	n.disarm(&n.heartbeat)
	// The failure timer restarts only on a message from a leader this node
	// admits (followLeader). Stepping down because some ballot is higher
	// must not restart it, or a would-be leader that cannot win keeps
	// everyone else from standing.
	if !n.failure.Armed() {
		n.resetFailureTimer()
	}
	if changed {
		n.env.Observe(nodes.RoleChanged{Role: n.role, Epoch: n.promised.Round})
	}
}

// becomeCandidate starts phase 1 with a ballot above every ballot seen,
// promises it as this node's own acceptor and arms a fresh failure timer.
// Any role may do so: a leader only when an acceptor rejected its ballot
// while its lease holds (rejected); it keeps the requests it waits for,
// which its own acceptance makes it adopt again at the same slots.
func (n *Node) becomeCandidate() {
	if n.role == "" {
		panic(fmt.Sprintf("paxos: node %v campaigning before Start", n.self))
	}
	n.disarm(&n.heartbeat)
	n.ballot = Ballot{Round: max(n.promised.Round, n.seen.Round) + 1, Node: n.self}
	n.writePromise(n.ballot)
	n.role = nodes.RoleCandidate
	n.leader = 0
	n.prepareFrom = n.learned + 1
	clear(n.promises)
	clear(n.promisedBy)
	n.resetFailureTimer()
	n.env.Observe(nodes.RoleChanged{Role: n.role, Epoch: n.ballot.Round})
}

// becomeLeader takes over after phase 1 of ballot succeeded: the proposals
// of earlier ballots are forgotten and the heartbeat starts. Only a
// candidate may do so. Requests it waited for as leader just before (see
// becomeCandidate) are still waited for; a wait is answered only if its
// slot applies its command.
func (n *Node) becomeLeader() {
	if n.role != nodes.RoleCandidate {
		panic(fmt.Sprintf("paxos: node %v invalid transition %q -> leader with ballot %v", n.self, n.role, n.ballot))
	}
	if n.ballot != n.promised {
		panic(fmt.Sprintf("paxos: node %v leading %v while promised %v", n.self, n.ballot, n.promised))
	}
	n.role = nodes.RoleLeader
	n.leader = n.self
	n.disarm(&n.failure)
	expired := n.env.Now() - n.cfg.FailureTimeoutMin
	for i, ok := range n.promisedBy {
		n.answeredAt[i] = expired
		if ok {
			n.answeredAt[i] = n.env.Now()
		}
	}
	for i := range n.slots {
		sl := &n.slots[i]
		sl.proposed, sl.acks = false, 0
	}
	n.env.Observe(nodes.RoleChanged{Role: n.role, Epoch: n.ballot.Round})
	n.arm(&n.heartbeat, timerHeartbeat, n.cfg.HeartbeatInterval)
}

// followLeader admits a request from the leader of b, a ballot the
// acceptor's promise admits: a candidate or leader of a lower ballot steps
// down, and the failure timer restarts. Only here does it restart.
func (n *Node) followLeader(b Ballot) {
	if n.below(b, n.promised) {
		panic(fmt.Sprintf("paxos: node %v following %v below its promise %v", n.self, b, n.promised))
	}
	if n.role != nodes.RoleFollower {
		n.becomeFollower(b.Node)
	}
	n.leader = b.Node
	n.heardAt = n.env.Now()
	n.resetFailureTimer()
}

// disregards reports whether a Prepare from `from` is ignored because a
// leader is known to be alive: this node follows another leader and heard
// from it within FailureTimeoutMin, or it leads and its lease holds. This is
// Raft's defence against disruptive servers (§6, "servers disregard
// RequestVote RPCs when they believe a current leader exists") and etcd's
// check quorum: a would-be leader that cannot hear the leader, but whose
// majority can, does not take over (nor keep flip-flopping leadership across
// a bridge or a ring of overlapping majorities). Ignoring a Prepare is
// always safe; it costs liveness only if the leader is heard but cannot get
// anything chosen, which leaseHolds rules out for the leader's side.
func (n *Node) disregards(from nodes.ID) bool {
	switch n.role {
	case nodes.RoleFollower:
		return n.leader != 0 && from != n.leader && n.env.Now()-n.heardAt < n.cfg.FailureTimeoutMin
	case nodes.RoleLeader:
		return n.leaseHolds()
	}
	return false
}

// leaseHolds reports whether a majority, the leader included, answered a
// request of its ballot within FailureTimeoutMin.
func (n *Node) leaseHolds() bool {
	count := 0
	for i, at := range n.answeredAt {
		if i == n.selfIndex || n.env.Now()-at < n.cfg.FailureTimeoutMin {
			count++
		}
	}
	return count >= n.phase2Quorum()
}

// The step functions handle the answers to a proposer's requests; an answer
// to a ballot the node no longer uses is dropped.

func (n *Node) stepFollower(from nodes.ID, m nodes.Message) {
	if m, ok := m.(Nack); ok {
		n.sawBallot(m.Promised)
	}
}

func (n *Node) stepCandidate(from nodes.ID, m nodes.Message) {
	switch m := m.(type) {
	case Promise:
		if m.Ballot == n.ballot && m.From == n.prepareFrom {
			n.tallyPromise(n.indexOf(from), m)
		}
	case Nack:
		n.rejected(m)
	}
}

func (n *Node) stepLeader(from nodes.ID, m nodes.Message) {
	switch m := m.(type) {
	case Accepted:
		if m.Ballot == n.ballot {
			n.answeredAt[n.indexOf(from)] = n.env.Now()
			n.handleAccepted(n.indexOf(from), m)
		}
	case Progress:
		if m.Ballot == n.ballot {
			n.answeredAt[n.indexOf(from)] = n.env.Now()
			n.catchUp(from, m.Learned)
		}
	case Nack:
		n.rejected(m)
	}
}

// rejected handles a Nack: an acceptor has promised a higher ballot than
// this candidate's or leader's, which steps down; it will pick a higher
// round when it next campaigns. A leader whose lease holds campaigns again
// at once: the acceptor is typically a node that was cut off and kept
// raising its own promise by campaigning, and that cannot win (the sticky
// followers disregard it) but would otherwise keep rejecting this leader;
// the followers promise their own leader's new ballot in one round trip.
func (n *Node) rejected(m Nack) {
	n.sawBallot(m.Promised)
	if m.Ballot != n.ballot || !n.below(n.ballot, m.Promised) {
		return
	}
	if n.role == nodes.RoleLeader && n.leaseHolds() {
		n.campaign()
		return
	}
	n.becomeFollower(0)
}
