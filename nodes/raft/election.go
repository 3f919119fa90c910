package raft

import "github.com/consim/consim/nodes"

// campaign starts an election when the election timer fires (§5.2). The
// self-vote is durable before anyone is asked for theirs.
func (n *Node) campaign() {
	n.becomeCandidate()
	n.persist()
	if n.votes() >= n.quorum() {
		n.winElection()
		return
	}
	req := RequestVote{Term: n.term, LastLogIndex: n.log.lastIndex(), LastLogTerm: n.log.lastTerm()}
	for i, id := range n.servers {
		if i != n.selfSlot {
			n.send(id, req)
		}
	}
}

// handleVote answers a RequestVote of the current term: at most one vote per
// term (§5.2), and only for a candidate whose log is at least as up-to-date
// (§5.4.1). A granted vote is durable before the reply (unless
// Bugs.ReplyBeforeSync) and resets the election timer.
func (n *Node) handleVote(from nodes.ID, m RequestVote) {
	granted := n.candidateUpToDate(m) && (n.vote == 0 || n.vote == from)
	if granted {
		if n.vote != from {
			n.vote = from
			n.hardDirty = true
		}
		n.resetElectionTimer()
	}
	n.persistBeforeReply()
	n.send(from, RequestVoteReply{Term: n.term, Granted: granted})
}

// candidateUpToDate is the election restriction (§5.4.1): whether the
// candidate's log is at least as up-to-date as this server's. Bugs.
// VoteWithoutLogCheck skips it; Bugs.VoteComparesLastIndexOnly compares
// lengths only.
func (n *Node) candidateUpToDate(m RequestVote) bool {
	switch {
	case n.cfg.Bugs.VoteWithoutLogCheck:
		return true
	case n.cfg.Bugs.VoteComparesLastIndexOnly:
		return m.LastLogIndex >= n.log.lastIndex()
	}
	return n.log.isUpToDate(m.LastLogIndex, m.LastLogTerm)
}

// tallyVote counts a vote of the current term and takes over on a majority.
func (n *Node) tallyVote(from nodes.ID, m RequestVoteReply) {
	if !m.Granted {
		return
	}
	n.granted[n.slotOf(from)] = true
	if n.votes() >= n.quorum() {
		n.winElection()
	}
}

// votes counts the votes granted in this election.
func (n *Node) votes() int {
	count := 0
	for _, g := range n.granted {
		if g {
			count++
		}
	}
	return count
}

// winElection becomes leader, makes the no-op entry durable and starts
// replicating it.
func (n *Node) winElection() {
	n.becomeLeader()
	n.persist()
	n.broadcastAppend(true)
	n.maybeCommit()
}
