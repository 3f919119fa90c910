package raft

import "github.com/consim/consim/nodes"

// compactSlack is how many records beyond the log's length the storage may
// hold before it is compacted into two records (see maybeCompact).
const compactSlack = 64

// persist makes every change since the last Sync durable (see sync); it
// writes nothing when nothing changed. A leader then counts its whole log as
// replicated on itself: its own entries count only once durable (§5.4.2).
func (n *Node) persist() {
	if n.logDirty || n.hardDirty || n.snapDirty {
		n.sync()
	}
	if n.role == nodes.RoleLeader {
		n.progress[n.selfSlot].match = n.log.lastIndex()
	}
}

// persistBeforeReply makes what a reply to RequestVote or AppendEntries
// depends on durable before it is sent (Figure 2: "updated on stable storage
// before responding to RPCs"). Bugs.ReplyBeforeSync owes the sync to the
// start of the next input instead.
func (n *Node) persistBeforeReply() {
	if n.cfg.Bugs.ReplyBeforeSync && (n.logDirty || n.hardDirty) {
		n.syncOwed = true
		return
	}
	n.persist()
}

// payOwedSync syncs what an earlier reply went out without
// (Bugs.ReplyBeforeSync), and applies what that made durably committed.
func (n *Node) payOwedSync() {
	if !n.syncOwed {
		return
	}
	n.syncOwed = false
	n.persist()
	n.applyCommitted()
	n.maybeSnapshot()
}

// sync appends the changes as records (a new snapshot first, as the log
// record applies after it; the log record before the hard state, so that a
// durable commit index never exceeds the durable log), syncs, and only then
// reports them to the checkers as SnapshotFact, LogFact and HardStateFact.
// Each record is encoded in place in the buffer the storage lends
// (Storage.Buffer), so that none is allocated on its own.
func (n *Node) sync() {
	st := n.env.Storage()
	snapDirty, logDirty, hardDirty, from := n.snapDirty, n.logDirty, n.hardDirty, n.logDirtyFrom
	if snapDirty {
		st.Append(appendSnapshot(st.Buffer(snapshotRecordSize(n.snap)), n.snap))
	}
	if logDirty {
		entries := n.log.from(from)
		st.Append(appendLog(st.Buffer(logRecordSize(entries)), from, entries))
	}
	if hardDirty {
		st.Append(appendHardState(st.Buffer(hardStateRecordSize), n.hardState()))
	}
	st.Sync()
	if n.cfg.Bugs.DoubleSync {
		st.Sync()
	}
	n.snapDirty, n.logDirty, n.hardDirty = false, false, false
	if snapDirty {
		n.env.Observe(n.snapshotFact())
	}
	if logDirty {
		n.logFact = LogFact{After: from, Entries: n.log.from(from)}
		n.env.Observe(&n.logFact)
	}
	if hardDirty {
		n.hardFact = n.hardStateFact()
		n.env.Observe(&n.hardFact)
	}
	n.maybeCompact(false)
}

// markLogDirty notes that the log changed after its first `from` entries.
func (n *Node) markLogDirty(from uint64) {
	if !n.logDirty || from < n.logDirtyFrom {
		n.logDirtyFrom = from
	}
	n.logDirty = true
}

func (n *Node) hardState() hardState {
	return hardState{term: n.term, vote: n.vote, commit: n.commit}
}

func (n *Node) hardStateFact() HardStateFact {
	return HardStateFact{Term: n.term, Vote: n.vote, Commit: n.commit}
}

// maybeCompact rewrites the storage as two records (three with a snapshot:
// see compacted) when it has grown well beyond the entries the log holds, or
// when force is set (after a torn write, so that nothing is appended after a
// bad record). Only durable state may be compacted.
func (n *Node) maybeCompact(force bool) {
	if n.logDirty || n.hardDirty || n.snapDirty {
		panic("raft: compacting unsynced state")
	}
	st := n.env.Storage()
	if !force && (uint64(len(st.Records())) <= compactSlack+uint64(len(n.log.entries)) || n.cfg.Bugs.SnapshotWithoutTruncation) {
		return
	}
	st.Replace(compacted(n.hardState(), n.snap, n.log.from(n.log.snapIndex)))
}

// restore rebuilds the durable state from storage, reports it, restores the
// state machine from the snapshot if there is one (§7) and re-applies the
// committed entries after it. Bugs.ForgetVoteOnRestart drops the recovered
// vote.
func (n *Node) restore() {
	d := replay(n.env.Storage().Records())
	n.term, n.vote, n.commit = d.hard.term, d.hard.vote, d.hard.commit
	if n.cfg.Bugs.ForgetVoteOnRestart {
		n.vote = 0
	}
	n.log = d.log
	n.restoreSnapshot(d.snap)
	n.maybeCompact(d.torn)
	if n.snap.data != nil {
		n.env.Observe(n.snapshotFact())
	}
	n.env.Observe(LogFact{After: n.log.snapIndex, Entries: n.log.from(n.log.snapIndex)})
	n.env.Observe(n.hardStateFact())
	n.applyCommitted()
	n.maybeSnapshot()
}
