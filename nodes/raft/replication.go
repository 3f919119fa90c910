package raft

import (
	"fmt"
	"slices"

	"github.com/consim/consim/nodes"
	"github.com/consim/consim/nodes/kv"
)

// progress is the leader's view of one server (Figure 2 "volatile state on
// leaders").
type progress struct {
	// match is matchIndex: the highest index known to be replicated on the
	// server. It never decreases within a term.
	match uint64
	// next is nextIndex: the index of the next entry to send. Invariant:
	// match < next <= lastIndex+1.
	next uint64
	// replicating is whether the server has acknowledged an AppendEntries
	// of this term, so that its log is known to match up to match. While
	// replicating, the leader pipelines: it sends entries as soon as they
	// are appended and advances next without waiting for the reply. While
	// probing, it sends one AppendEntries at next per reply or heartbeat.
	replicating bool
	// outbox boxes the AppendEntries and replies this server sends to
	// the server, in any role; it is emptied with the rest of progress
	// when the server becomes leader, which only costs a new chunk.
	outbox outbox
}

// appendLocal appends cmd to the leader's log in its term and returns its
// index. The caller persists before counting or replicating it.
func (n *Node) appendLocal(cmd kv.Command) uint64 {
	n.markLogDirty(n.log.lastIndex())
	n.log.append(Entry{Term: n.term, Cmd: cmd})
	return n.log.lastIndex()
}

// sendAppend sends servers[i] an AppendEntries starting at its next index,
// with up to MaxEntriesPerAppend entries. The entries share the leader's log,
// which never overwrites them (raftLog.truncate).
func (n *Node) sendAppend(i int) {
	pr := &n.progress[i]
	if pr.next <= n.log.snapIndex {
		n.sendSnapshot(i) // the entries it needs are gone (§7)
		return
	}
	prev := pr.next - 1
	hi := min(n.log.lastIndex(), prev+uint64(max(n.cfg.MaxEntriesPerAppend, 1)))
	m := AppendEntries{Term: n.term, PrevLogIndex: prev, PrevLogTerm: n.log.term(prev), LeaderCommit: n.commit,
		ReadRound: n.reads.round}
	if hi > prev {
		m.Entries = n.log.slice(prev+1, hi+1)
	}
	n.send(n.servers[i], pr.outbox.appendEntries(m))
	if pr.replicating {
		pr.next = hi + 1
	}
}

// broadcastAppend sends the entries not yet sent to every replicating
// follower, and to the probing ones too when probe is set.
func (n *Node) broadcastAppend(probe bool) {
	for i := range n.servers {
		if i == n.selfSlot {
			continue
		}
		pr := &n.progress[i]
		if probe || (pr.replicating && pr.next <= n.log.lastIndex()) {
			n.sendAppend(i)
		}
	}
}

// broadcastHeartbeat sends every follower an AppendEntries (§5.2). For a
// replicating follower it restarts from match+1, so that whatever a lost
// message carried is resent within one heartbeat interval. Under ReadIndex
// each heartbeat is a confirmation round (read.go).
func (n *Node) broadcastHeartbeat() {
	if n.cfg.ReadIndex {
		n.beginRound()
	}
	for i := range n.servers {
		if i == n.selfSlot {
			continue
		}
		if n.cfg.Bugs.NoIdleHeartbeats && n.progress[i].match >= n.log.lastIndex() {
			continue
		}
		if pr := &n.progress[i]; pr.replicating {
			pr.next = pr.match + 1
		}
		n.sendAppend(i)
	}
	n.arm(&n.heartbeat, timerHeartbeat, n.cfg.HeartbeatInterval)
	if n.cfg.ReadIndex {
		n.maybeConfirm()
	}
}

// handleAppendReply updates the sender's progress, and counts the reply as
// contact (CheckQuorum) and as an acknowledgement of the rounds it echoes
// (ReadIndex).
func (n *Node) handleAppendReply(from nodes.ID, m AppendEntriesReply) {
	i := n.slotOf(from)
	n.active[i] = true
	if m.Success {
		n.acknowledge(i, m.Index)
	} else {
		n.backtrack(i, m)
	}
	if n.role == nodes.RoleLeader && m.ReadRound != 0 {
		n.ackRound(i, m.ReadRound)
	}
}

// acknowledge records that servers[i] matches the log up to index, commits
// what a majority holds, and sends what the server still lacks.
func (n *Node) acknowledge(i int, index uint64) {
	if index > n.log.lastIndex() {
		// Only possible if a server lost synced state (a disk fault):
		// not this leader's to judge, and nothing to count.
		return
	}
	pr := &n.progress[i]
	pr.replicating = true
	pr.match = max(pr.match, index)
	pr.next = max(pr.next, pr.match+1)
	n.maybeCommit()
	if pr.next <= n.log.lastIndex() {
		n.sendAppend(i)
	}
	if n.servers[i] == n.transferee {
		n.maybeSendTimeoutNow()
	}
}

// backtrack handles a rejected AppendEntries: it moves next back using the
// follower's hint, skipping a whole conflicting term at a time (§5.3), and
// probes again. Stale rejects are ignored.
func (n *Node) backtrack(i int, m AppendEntriesReply) {
	pr := &n.progress[i]
	if m.Index <= pr.match {
		return // the follower has matched past it since
	}
	if !pr.replicating && m.Index != pr.next-1 {
		return // the answer to an older probe
	}
	pr.next = max(pr.match+1, min(n.nextFromHint(m), m.Index))
	pr.replicating = false
	n.sendAppend(i)
}

// nextFromHint is where the leader's next probe should start after reject m:
// after the follower's last entry when its log is too short; after the
// leader's last entry of the conflicting term when it has that term; else at
// the first index the follower holds of that term.
func (n *Node) nextFromHint(m AppendEntriesReply) uint64 {
	if m.ConflictTerm == 0 {
		return m.LastIndex + 1
	}
	if last, ok := n.log.lastIndexOfTerm(m.ConflictTerm, m.Index); ok {
		return last + 1
	}
	return m.ConflictIndex
}

// maybeCommit advances the commit index to the highest index a majority
// holds, if that entry is of the current term (§5.4.2; Figure 8 shows why an
// older entry cannot be committed by counting, which Bugs.
// CommitPriorTermByCount does anyway). The new commit index is durable
// before anything is applied.
func (n *Node) maybeCommit() {
	index := n.quorumMatch()
	if index <= n.commit {
		return
	}
	if n.log.term(index) != n.term && !n.cfg.Bugs.CommitPriorTermByCount {
		return
	}
	n.commitTo(index)
	n.persist()
	n.applyCommitted()
	n.maybeSnapshot()
}

// quorumMatch is the highest index that a majority of servers (the leader
// included, counting only its durable entries) hold; Bugs.CommitQuorum
// replaces the majority.
func (n *Node) quorumMatch() uint64 {
	for i := range n.progress {
		n.scratch[i] = n.progress[i].match
	}
	return n.quorumValue(n.commitQuorum())
}

// quorumValue is the highest value that at least q of the servers' values
// in scratch reach (scratch[i] is servers[i]'s); it reorders scratch.
func (n *Node) quorumValue(q int) uint64 {
	slices.Sort(n.scratch)
	return n.scratch[len(n.scratch)-q]
}

// commitQuorum is how many servers must hold an entry to commit it: a
// majority (§5.3), or Bugs.CommitQuorum (capped at the cluster size).
func (n *Node) commitQuorum() int {
	if q := n.cfg.Bugs.CommitQuorum; q > 0 {
		return min(q, len(n.servers))
	}
	return n.quorum()
}

// commitTo raises the commit index to index.
func (n *Node) commitTo(index uint64) {
	if index > n.log.lastIndex() {
		panic(fmt.Sprintf("raft: node %v tocommit(%d) is out of range [lastIndex(%d)]", n.self, index, n.log.lastIndex()))
	}
	if index > n.commit {
		n.commit = index
		n.hardDirty = true
	}
}

// handleAppend is the follower's side of AppendEntries (§5.3, Figure 2
// "receiver implementation" 2-5): the consistency check, the append, the
// commit index, a durable state before the reply, then the apply.
func (n *Node) handleAppend(from nodes.ID, m AppendEntries) {
	n.resetElectionTimer()
	n.touchLeader()
	m = n.clipToSnapshot(m)
	reply := n.checkConsistency(m)
	reply.ReadRound = m.ReadRound
	switch {
	case reply.Success:
		last := n.acceptEntries(m.PrevLogIndex, m.Entries)
		n.followCommit(m.LeaderCommit, last)
		reply.Index = last
	case n.cfg.Bugs.CommitToLastIndex:
		// Taken from a rejected AppendEntries too, as from a heartbeat
		// that carries the commit index without a log check.
		n.followCommit(m.LeaderCommit, n.log.lastIndex())
	}
	n.persistBeforeReply()
	n.send(from, n.progress[n.slotOf(from)].outbox.appendEntriesReply(reply))
	if !n.syncOwed {
		n.applyCommitted()
		n.maybeSnapshot()
	}
}

// followCommit raises the commit index to min(leaderCommit, lastNew), where
// lastNew is the index of the last entry of the AppendEntries just matched
// (Figure 2, receiver step 5): entries after it may be stale ones that the
// leader has not checked yet. Bugs.CommitToLastIndex uses the last index
// of the whole log instead.
func (n *Node) followCommit(leaderCommit, lastNew uint64) {
	if n.cfg.Bugs.CommitToLastIndex {
		lastNew = n.log.lastIndex()
	}
	n.commitTo(max(n.commit, min(leaderCommit, lastNew)))
}

// checkConsistency answers whether the log holds m's previous entry; on
// reject it fills the fast-backtracking hint.
func (n *Node) checkConsistency(m AppendEntries) AppendEntriesReply {
	reply := AppendEntriesReply{Term: n.term, Index: m.PrevLogIndex, LastIndex: n.log.lastIndex()}
	switch {
	case m.PrevLogIndex > n.log.lastIndex():
		// Too short: ConflictTerm 0, LastIndex says where to resume.
	case n.log.term(m.PrevLogIndex) != m.PrevLogTerm:
		reply.ConflictTerm = n.log.term(m.PrevLogIndex)
		reply.ConflictIndex = n.log.firstIndexOfTerm(m.PrevLogIndex)
	default:
		reply.Success = true
	}
	return reply
}

// acceptEntries copies entries, which follow index prev, into the log. It
// skips the entries the log already holds and truncates only at a real
// conflict (same index, different term), so that an old reordered
// AppendEntries never deletes entries (Bugs.TruncateOnEveryAppend does). It
// returns the index of the last entry of the message.
func (n *Node) acceptEntries(prev uint64, entries []Entry) uint64 {
	if n.cfg.Bugs.TruncateOnEveryAppend {
		if keep := max(prev+uint64(len(entries)), n.commit); keep < n.log.lastIndex() {
			n.markLogDirty(keep)
			n.log.truncate(keep)
		}
	}
	for k, e := range entries {
		index := prev + 1 + uint64(k)
		if index <= n.log.lastIndex() && n.log.term(index) == e.Term {
			continue // Log Matching: the same entry (§5.3)
		}
		if index <= n.log.lastIndex() {
			n.truncateConflict(index, e.Term)
		}
		n.markLogDirty(index - 1)
		n.log.append(entries[k:]...)
		break
	}
	return prev + uint64(len(entries))
}

// truncateConflict drops the entry at index, whose term differs from the
// leader's, and all that follow it (Figure 2 receiver step 3).
func (n *Node) truncateConflict(index, leaderTerm uint64) {
	if index <= n.commit {
		panic(fmt.Sprintf("raft: node %v entry %d (term %d) conflicts with committed entry (term %d, commit %d)",
			n.self, index, leaderTerm, n.log.term(index), n.commit))
	}
	n.log.truncate(index - 1)
}
