package raft

import (
	"fmt"

	"github.com/consim/consim/nodes"
	"github.com/consim/consim/nodes/kv"
	"github.com/consim/consim/nodes/raftfacts"
)

// The become functions are the only places where role changes. Each reports
// nodes.RoleChanged when the role or the term changed.

// RolePreCandidate is the role of a server running a pre-vote (thesis §9.6,
// Config.PreVote): it asks whether it could win term+1 without raising its
// term, and becomes candidate only if a majority says yes.
const RolePreCandidate nodes.Role = "pre-candidate"

// becomeFollower makes the node follower of term, whose leader is leader (0
// if unknown). Any role may become follower; term must not go backwards.
func (n *Node) becomeFollower(term uint64, leader nodes.ID) {
	if term < n.term {
		panic(fmt.Sprintf("raft: node %v becomeFollower(term %d) below currentTerm(%d)", n.self, term, n.term))
	}
	changed := n.role != nodes.RoleFollower || term != n.term
	if term > n.term {
		n.term, n.vote = term, 0
		n.hardDirty = true
	}
	n.role = nodes.RoleFollower
	n.leader = leader
	n.waits = n.waits[:0]
	n.disarm(&n.heartbeat)
	n.disarm(&n.checkQuorum)
	n.disarm(&n.transfer)
	if n.transferee != 0 {
		n.endTransfer(raftfacts.TransferSteppedDown)
	}
	n.reads.drop()
	// Figure 2: a follower's election timeout restarts only on
	// AppendEntries from the current leader or a granted vote. Learning a
	// higher term from a candidate whose log is stale must not restart it,
	// or stale candidates keep an up-to-date node from ever standing.
	if !n.election.Armed() {
		n.resetElectionTimer()
	}
	if changed {
		n.env.Observe(nodes.RoleChanged{Role: n.role, Epoch: n.term})
	}
}

// becomePreCandidate starts a pre-vote for term+1 (thesis §9.6): the term
// and vote stay as they are; the node counts its own pre-vote and restarts
// its election timeout. Any role but leader may do so (a candidate whose
// election timed out runs a pre-vote before its next election).
func (n *Node) becomePreCandidate() {
	if n.role == nodes.RoleLeader {
		panic(fmt.Sprintf("raft: node %v invalid transition %q -> pre-candidate in term %d", n.self, n.role, n.term))
	}
	changed := n.role != RolePreCandidate
	if n.cfg.Bugs.PreCandidateBumpsTerm {
		n.term, n.vote = n.term+1, 0
		n.hardDirty, changed = true, true
	}
	n.role = RolePreCandidate
	n.leader = 0
	clear(n.granted)
	n.granted[n.selfSlot] = true
	n.resetElectionTimer()
	if changed {
		n.env.Observe(nodes.RoleChanged{Role: n.role, Epoch: n.term})
	}
}

// becomeCandidate starts an election (§5.2): a new term, a vote for itself
// and a fresh election timeout. Only a follower, a pre-candidate or a
// candidate may do so.
func (n *Node) becomeCandidate() {
	if n.role != nodes.RoleFollower && n.role != RolePreCandidate && n.role != nodes.RoleCandidate {
		panic(fmt.Sprintf("raft: node %v invalid transition %q -> candidate in term %d", n.self, n.role, n.term))
	}
	n.term++
	n.vote = n.self
	n.hardDirty = true
	n.role = nodes.RoleCandidate
	n.leader = 0
	clear(n.granted)
	n.granted[n.selfSlot] = true
	n.resetElectionTimer()
	n.env.Observe(nodes.RoleChanged{Role: n.role, Epoch: n.term})
}

// becomeLeader takes over after winning the election of term (§5.2): it
// resets every follower's progress to probe from the end of its log
// (Figure 2: nextIndex = last log index + 1), appends a no-op entry of its
// term (§8) and starts the heartbeat. Only a candidate may do so.
func (n *Node) becomeLeader() {
	if n.role != nodes.RoleCandidate {
		panic(fmt.Sprintf("raft: node %v invalid transition %q -> leader in term %d", n.self, n.role, n.term))
	}
	n.role = nodes.RoleLeader
	n.leader = n.self
	n.disarm(&n.election)
	for i := range n.progress {
		n.progress[i] = progress{next: n.log.lastIndex() + 1}
	}
	n.waits = n.waits[:0]
	n.reads.lead(n.selfSlot)
	if n.cfg.CheckQuorum {
		n.resetActive()
	}
	n.env.Observe(nodes.RoleChanged{Role: n.role, Epoch: n.term})
	n.appendLocal(kv.Noop)
	n.arm(&n.heartbeat, timerHeartbeat, n.cfg.HeartbeatInterval)
}

// The step functions handle a Raft message whose term equals the node's.

func (n *Node) stepFollower(from nodes.ID, m nodes.Message) {
	switch m := m.(type) {
	case RequestVote:
		n.handleVote(from, m)
	case *AppendEntries:
		n.leader = from
		n.handleAppend(from, *m)
	case TimeoutNow:
		n.handleTimeoutNow()
	}
}

func (n *Node) stepCandidate(from nodes.ID, m nodes.Message) {
	switch m := m.(type) {
	case RequestVote:
		n.handleVote(from, m)
	case RequestVoteReply:
		n.tallyVote(from, m)
	case *AppendEntries:
		// Another server won this term's election (§5.2).
		n.becomeFollower(m.Term, from)
		n.handleAppend(from, *m)
	}
}

func (n *Node) stepLeader(from nodes.ID, m nodes.Message) {
	switch m := m.(type) {
	case RequestVote:
		n.handleVote(from, m)
	case *AppendEntriesReply:
		n.handleAppendReply(from, *m)
	}
	// An AppendEntries of this term from another server would mean two
	// leaders in one term; election safety is the checker's to judge, so
	// it is ignored here. Late RequestVoteReplies are ignored too.
}

// rejectStale answers a request from an older term with the current term,
// so that the sender steps down (§5.1); stale replies are dropped.
func (n *Node) rejectStale(from nodes.ID, m nodes.Message) {
	switch m := m.(type) {
	case RequestVote:
		n.send(from, RequestVoteReply{Term: n.term, PreVote: m.PreVote})
	case *AppendEntries:
		reply := AppendEntriesReply{Term: n.term, Index: m.PrevLogIndex, LastIndex: n.log.lastIndex()}
		n.send(from, n.progress[n.slotOf(from)].outbox.appendEntriesReply(reply))
	}
}
