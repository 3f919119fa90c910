package raft

import "github.com/consim/consim/nodes"

// electionTimeout starts a pre-vote (Config.PreVote) or an election when
// the election timer fires.
func (n *Node) electionTimeout() {
	if n.cfg.PreVote {
		n.preCampaign()
	} else {
		n.campaign(false)
	}
}

// preCampaign asks every server whether it would vote for this one in
// term+1 (thesis §9.6), changing neither term nor vote.
func (n *Node) preCampaign() {
	n.becomePreCandidate()
	n.persist() // a no-op but under Bugs.PreCandidateBumpsTerm
	if n.votes() >= n.quorum() {
		n.campaign(false)
		return
	}
	n.broadcast(RequestVote{Term: n.term + 1, LastLogIndex: n.log.lastIndex(), LastLogTerm: n.log.lastTerm(), PreVote: true})
}

// campaign starts an election (§5.2); transfer marks one a leader asked for
// with TimeoutNow. The self-vote is durable before anyone is asked for
// theirs.
func (n *Node) campaign(transfer bool) {
	n.becomeCandidate()
	n.persist()
	if n.votes() >= n.quorum() {
		n.winElection()
		return
	}
	n.broadcast(RequestVote{Term: n.term, LastLogIndex: n.log.lastIndex(), LastLogTerm: n.log.lastTerm(), Transfer: transfer})
}

// broadcast sends m to every other server.
func (n *Node) broadcast(m nodes.Message) {
	for i, id := range n.servers {
		if i != n.selfSlot {
			n.send(id, m)
		}
	}
}

// handlePreVote answers a pre-vote for m.Term >= currentTerm (thesis §9.6):
// granted if m.Term is above the current term, the candidate's log is at
// least as up-to-date (§5.4.1), and this server has not heard from a leader
// within ElectionTimeoutMin (unless the leader itself asked for the
// election). Nothing changes, so nothing needs syncing.
func (n *Node) handlePreVote(from nodes.ID, m RequestVote) {
	granted := m.Term > n.term && n.candidateUpToDate(m) && (m.Transfer || !n.hearsLeader())
	reply := RequestVoteReply{Term: n.term, PreVote: true}
	if granted {
		reply = RequestVoteReply{Term: m.Term, Granted: true, PreVote: true}
	}
	n.send(from, reply)
}

// tallyPreVote counts a pre-vote for term+1 and starts the real election on
// a majority.
func (n *Node) tallyPreVote(from nodes.ID, m RequestVoteReply) {
	if !m.Granted || m.Term != n.term+1 {
		return
	}
	n.granted[n.slotOf(from)] = true
	if n.votes() >= n.quorum() {
		n.campaign(false)
	}
}

// isPreVote reports whether m is a pre-vote request or a granted pre-vote,
// whose term the receiver must not adopt (§9.6). A refused pre-vote carries
// the voter's own term, adopted as usual.
func isPreVote(m nodes.Message) bool {
	switch m := m.(type) {
	case RequestVote:
		return m.PreVote
	case RequestVoteReply:
		return m.PreVote && m.Granted
	}
	return false
}

// handleVote answers a RequestVote of the current term: at most one vote per
// term (§5.2), and only for a candidate whose log is at least as up-to-date
// (§5.4.1). Under CheckQuorum no new vote goes to a candidate while this
// server hears from a leader, in its own term too: it may have learned the
// term from a reply after it acknowledged the leader, whose lease counts on
// the refusal (ignoreInLease). A granted vote is durable before the reply
// (unless Bugs.ReplyBeforeSync) and resets the election timer.
func (n *Node) handleVote(from nodes.ID, m RequestVote) {
	granted := n.candidateUpToDate(m) && (n.vote == from || n.vote == 0 && !n.ignoreInLease(m))
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
func (n *Node) votes() int { return countTrue(n.granted) }

// countTrue counts the servers whose flag is set.
func countTrue(flags []bool) int {
	count := 0
	for _, f := range flags {
		if f {
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
