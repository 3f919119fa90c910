package raft

import (
	"fmt"
	"slices"

	"github.com/consim/consim/nodes"
	"github.com/consim/consim/nodes/kv"
)

// invariants is a small in-test checker of the Raft safety properties
// (Figure 3) over the facts the servers report.
type invariants struct {
	// leaders[term] is the server that became leader in term.
	leaders map[uint64]nodes.ID
	// committed[i-1] is the entry known committed at index i.
	committed []Entry
	// logs and hard are each server's durable log and hard state; a log
	// keeps the entries its server's snapshot covers (snapIndex).
	logs      map[nodes.ID][]Entry
	hard      map[nodes.ID]HardStateFact
	snapIndex map[nodes.ID]uint64
	// snapshots[i] is the state digest of the snapshots at index i.
	snapshots map[uint64]uint64
	// applied[i] is the command applied at index i.
	applied   map[uint64]kv.Command
	maxCommit uint64
	errs      []string
}

func newInvariants() *invariants {
	return &invariants{
		leaders: map[uint64]nodes.ID{},
		logs:    map[nodes.ID][]Entry{},
		hard:    map[nodes.ID]HardStateFact{},
		applied: map[uint64]kv.Command{},

		snapIndex: map[nodes.ID]uint64{},
		snapshots: map[uint64]uint64{},
	}
}

func (v *invariants) fail(format string, args ...any) {
	v.errs = append(v.errs, fmt.Sprintf(format, args...))
}

func (v *invariants) observe(id nodes.ID, f nodes.Fact) {
	switch f := f.(type) {
	case nodes.RoleChanged:
		if f.Role == nodes.RoleLeader {
			v.leaderElected(id, f.Epoch)
		}
	case LogFact:
		v.logChanged(id, f)
	case HardStateFact:
		v.hardStateChanged(id, f)
	case SnapshotFact:
		v.snapshotTaken(id, f)
	case kv.AppliedFact:
		if c, ok := v.applied[f.Index]; ok && c != f.Cmd {
			v.fail("state machine safety: %v applied %v at %d, another server %v", id, f.Cmd, f.Index, c)
		}
		v.applied[f.Index] = f.Cmd
	}
}

func (v *invariants) leaderElected(id nodes.ID, term uint64) {
	if other, ok := v.leaders[term]; ok && other != id {
		v.fail("election safety: %v and %v lead term %d", other, id, term)
	}
	v.leaders[term] = id
	log := v.logs[id]
	for i, e := range v.committed {
		if i >= len(log) || log[i] != e {
			v.fail("leader completeness: %v leads term %d without committed entry %d %v", id, term, i+1, e)
			return
		}
	}
}

func (v *invariants) logChanged(id nodes.ID, f LogFact) {
	log := v.logs[id]
	if f.After > uint64(len(log)) {
		v.fail("log fact of %v after %d beyond its length %d", id, f.After, len(log))
		return
	}
	if f.After < v.hard[id].Commit && f.After != v.snapIndex[id] {
		v.fail("%v truncated to %d below its commit %d", id, f.After, v.hard[id].Commit)
	}
	if f.After < v.snapIndex[id] {
		v.fail("%v truncated to %d inside its snapshot of 1..%d", id, f.After, v.snapIndex[id])
	}
	v.logs[id] = append(log[:f.After:f.After], f.Entries...)
}

func (v *invariants) hardStateChanged(id nodes.ID, f HardStateFact) {
	old := v.hard[id]
	if f.Term < old.Term || f.Commit < old.Commit {
		v.fail("%v hard state went backwards: %v after %v", id, f, old)
	}
	v.hard[id] = f
	log := v.logs[id]
	if f.Commit > uint64(len(log)) {
		v.fail("%v commit %d beyond its log length %d", id, f.Commit, len(log))
		return
	}
	for i := range f.Commit {
		if i < uint64(len(v.committed)) {
			if v.committed[i] != log[i] {
				v.fail("state machine safety: %v committed %v at %d, another %v", id, log[i], i+1, v.committed[i])
			}
			continue
		}
		v.committed = append(v.committed, log[i])
	}
	v.maxCommit = max(v.maxCommit, f.Commit)
}

// snapshotTaken: a snapshot covers committed entries only, all snapshots at
// one index hold the same state, and the log is now the committed entries
// 1..Index followed by its entries after Index if its entry at Index matched.
func (v *invariants) snapshotTaken(id nodes.ID, f SnapshotFact) {
	if f.Index == 0 || f.Index > uint64(len(v.committed)) || v.committed[f.Index-1].Term != f.Term {
		v.fail("%v snapshot %v of entries not known committed (%d known)", id, f, len(v.committed))
		return
	}
	if d, ok := v.snapshots[f.Index]; ok && d != f.Digest {
		v.fail("state machine safety: %v snapshot %v, another has digest %016x", id, f, d)
	}
	v.snapshots[f.Index] = f.Digest
	if f.Index < v.snapIndex[id] {
		v.fail("%v snapshot went back from %d to %d", id, v.snapIndex[id], f.Index)
	}
	v.snapIndex[id] = f.Index
	log := v.logs[id]
	var suffix []Entry
	if uint64(len(log)) >= f.Index && log[f.Index-1].Term == f.Term {
		suffix = log[f.Index:]
	}
	v.logs[id] = append(slices.Clone(v.committed[:f.Index]), suffix...)
}
