package raft

import (
	"fmt"

	"github.com/consim/consim/nodes"
	"github.com/consim/consim/nodes/kv"
)

// Log compaction (§7): every Config.SnapshotEvery applied entries, a node
// saves a snapshot of its state machine, sessions included, and drops the
// entries it covers; a leader whose follower needs entries it has dropped
// sends it the snapshot (InstallSnapshot, Figure 13). A snapshot covers only
// applied, hence durably committed, entries, so every later leader holds the
// entries it covers (§5.4) and no snapshot ever needs undoing.
//
// With SnapshotEvery = 0 no snapshot is ever taken and no code here runs but
// the checks that find nothing to do.

// maybeSnapshot compacts the log up to the applied index once SnapshotEvery
// entries have been applied since the last snapshot. The snapshot is durable
// (and reported as a SnapshotFact) before the node does anything else.
func (n *Node) maybeSnapshot() {
	every := n.cfg.SnapshotEvery
	if n.cfg.Bugs.SnapshotEveryEntry {
		every = 1
	}
	if every == 0 || n.applied < n.log.snapIndex+every {
		return
	}
	if n.applied > n.commit || n.syncOwed || n.hardDirty || n.logDirty {
		// Only under Bugs.ApplyBeforeCommit or Bugs.ReplyBeforeSync: the
		// applied state is not known committed, or not durably.
		return
	}
	n.snap = snapshot{index: n.applied, term: n.log.term(n.applied), data: n.sm.Snapshot()}
	n.snapDigest = n.sm.Digest()
	n.log.compact(n.applied)
	n.snapDirty = true
	n.persist()
}

// restoreSnapshot loads a recovered snapshot into the state machine; the
// committed entries after it are applied next.
func (n *Node) restoreSnapshot(snap snapshot) {
	n.snap = snap
	if snap.data == nil {
		return
	}
	sm, err := kv.RestoreStateMachine(snap.data)
	if err != nil {
		panic(fmt.Sprintf("raft: node %v recovered a snapshot at %d that replay accepted: %v", n.self, snap.index, err))
	}
	n.sm = sm
	n.applied = snap.index
	n.snapDigest = sm.Digest()
}

func (n *Node) snapshotFact() SnapshotFact {
	return SnapshotFact{Index: n.snap.index, Term: n.snap.term, Digest: n.snapDigest}
}

// sendSnapshot sends servers[i] the snapshot, in place of AppendEntries
// whose entries are gone (§7). A replicating server's next index moves past
// the snapshot, so that the entries after it follow at once (if the snapshot
// is lost, the next heartbeat restarts from match+1 and resends it); a
// probing one gets it again at each heartbeat until it answers.
func (n *Node) sendSnapshot(i int) {
	n.send(n.servers[i], InstallSnapshot{
		Term:              n.term,
		LastIncludedIndex: n.snap.index,
		LastIncludedTerm:  n.snap.term,
		Data:              n.snap.data,
	})
	if pr := &n.progress[i]; pr.replicating {
		pr.next = n.snap.index + 1
	}
}

// stepSnapshot handles InstallSnapshot and its reply, of the current term,
// for every role; it reports whether m was one of them.
func (n *Node) stepSnapshot(from nodes.ID, m nodes.Message) bool {
	switch m := m.(type) {
	case InstallSnapshot:
		switch n.role {
		case nodes.RoleLeader:
			// Two leaders in one term: election safety is the
			// checker's to judge (as for AppendEntries).
			return true
		case nodes.RoleCandidate, RolePreCandidate:
			// Another server won this term's election (§5.2).
			n.becomeFollower(m.Term, from)
		}
		n.leader = from
		n.handleInstallSnapshot(from, m)
	case InstallSnapshotReply:
		if n.role == nodes.RoleLeader {
			n.active[n.slotOf(from)] = true
			n.acknowledge(n.slotOf(from), m.Index)
		}
	default:
		return false
	}
	return true
}

// rejectStaleSnapshot answers an InstallSnapshot of an older term with the
// current term, so that its sender steps down (Figure 13 receiver step 1).
func (n *Node) rejectStaleSnapshot(from nodes.ID, m nodes.Message) {
	if _, ok := m.(InstallSnapshot); ok {
		n.send(from, InstallSnapshotReply{Term: n.term, Index: n.commit})
	}
}

// handleInstallSnapshot is the follower's side of InstallSnapshot (Figure
// 13, receiver implementation). As for AppendEntries, the election timer
// restarts. A snapshot that covers no more than the follower's commit index
// tells it nothing (stale, duplicated or reordered) and is ignored; otherwise
// it is installed. The reply goes out only once the snapshot, the log and
// the hard state are durable (always: Bugs.ReplyBeforeSync does not apply
// here).
func (n *Node) handleInstallSnapshot(from nodes.ID, m InstallSnapshot) {
	n.resetElectionTimer()
	n.touchLeader()
	if m.LastIncludedIndex > n.commit && m.LastIncludedIndex > n.applied {
		n.installSnapshot(m)
	}
	n.persist()
	n.send(from, InstallSnapshotReply{Term: n.term, Index: n.commit})
}

// installSnapshot replaces the state machine by the leader's snapshot. If
// the log holds the snapshot's last included entry, the entries after it
// are kept (Figure 13 step 6); else the whole log is discarded (step 7). The
// entries it covers are committed: commit and applied move to its index.
func (n *Node) installSnapshot(m InstallSnapshot) {
	if n.role != nodes.RoleFollower || len(n.waits) > 0 {
		panic(fmt.Sprintf("raft: node %v installing a snapshot as %q with %d clients waiting", n.self, n.role, len(n.waits)))
	}
	sm, err := kv.RestoreStateMachine(m.Data)
	if err != nil {
		panic(fmt.Sprintf("raft: node %v got a malformed snapshot at %d from leader %v: %v", n.self, m.LastIncludedIndex, n.leader, err))
	}
	if n.log.holds(m.LastIncludedIndex, m.LastIncludedTerm) {
		n.log.compact(m.LastIncludedIndex)
	} else {
		n.log.reset(m.LastIncludedIndex, m.LastIncludedTerm)
	}
	n.snap = snapshot{index: m.LastIncludedIndex, term: m.LastIncludedTerm, data: m.Data}
	n.snapDigest = sm.Digest()
	n.snapDirty = true
	n.sm = sm
	n.applied = m.LastIncludedIndex
	n.commitTo(m.LastIncludedIndex)
}

// clipToSnapshot drops from an AppendEntries the entries at or below the
// snapshot's last included index: they are committed, so they match the
// leader's (§5.4), and the follower no longer holds them to compare. The
// message then starts at the snapshot's last included entry.
func (n *Node) clipToSnapshot(m AppendEntries) AppendEntries {
	if m.PrevLogIndex >= n.log.snapIndex {
		return m
	}
	skip := n.log.snapIndex - m.PrevLogIndex
	if skip >= uint64(len(m.Entries)) {
		m.Entries = nil
	} else {
		m.Entries = m.Entries[skip:]
	}
	m.PrevLogIndex, m.PrevLogTerm = n.log.snapIndex, n.log.snapTerm
	return m
}
