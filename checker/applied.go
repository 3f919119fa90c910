package checker

import (
	"fmt"
	"time"

	"github.com/consim/consim/nodes"
	"github.com/consim/consim/nodes/kv"
	"github.com/consim/consim/nodes/raftfacts"
)

// Applied checks, for any protocol, what replicas apply to their state
// machines (kv.AppliedFact): every replica applies the same command at each
// log index or slot (the State Machine Safety property, Raft §5.4.3; for
// Paxos, one value chosen per slot), and each replica applies indexes in
// increasing order within one incarnation. After a crash a replica rebuilds
// its state and may apply again from index 1.
//
// A snapshot (raftfacts.SnapshotFact, Raft §7) stands for applying entries
// 1..Index at once: the replica's next applied index is Index+1, a snapshot
// must not take a replica back behind what it has applied, and all
// snapshots at one index must hold the same state (equal digests).
type Applied struct {
	// first maps an index to the first command applied there, and by whom.
	first map[uint64]appliedRecord
	// snapshots maps an index to the first snapshot reported at it.
	snapshots map[uint64]snapshotRecord
	// last maps a replica to the index it last applied in its current
	// incarnation; a replica without an entry has applied nothing since
	// it (re)started.
	last map[nodes.ID]uint64
}

type snapshotRecord struct {
	digest uint64
	node   nodes.ID
	at     time.Duration
}

type appliedRecord struct {
	cmd  kv.Command
	node nodes.ID
	at   time.Duration
}

// NewApplied returns an empty Applied checker.
func NewApplied() *Applied {
	return &Applied{first: map[uint64]appliedRecord{}, last: map[nodes.ID]uint64{}, snapshots: map[uint64]snapshotRecord{}}
}

// Observe implements Online.
func (a *Applied) Observe(at time.Duration, node nodes.ID, f nodes.Fact) []Violation {
	switch f := f.(type) {
	case kv.AppliedFact:
		return a.applied(at, node, f)
	case *kv.AppliedFact:
		return a.applied(at, node, *f)
	case raftfacts.SnapshotFact:
		return a.snapshot(at, node, f)
	case *raftfacts.SnapshotFact:
		return a.snapshot(at, node, *f)
	}
	return nil
}

// snapshot records that node's state machine now holds entries 1..f.Index
// (§7): its next applied index is f.Index+1. A snapshot behind what the
// replica has applied in this incarnation would undo applied commands.
func (a *Applied) snapshot(at time.Duration, node nodes.ID, f raftfacts.SnapshotFact) []Violation {
	var vs []Violation
	if last, ok := a.last[node]; ok && f.Index < last {
		vs = append(vs, Violation{
			Invariant: InvariantAppliedOrder,
			Class:     ClassSafety,
			At:        at,
			Nodes:     involved(node),
			Detail:    fmt.Sprintf("%v restored a snapshot of index %d after applying index %d", node, f.Index, last),
		})
	}
	a.last[node] = max(a.last[node], f.Index)
	first, ok := a.snapshots[f.Index]
	if !ok {
		a.snapshots[f.Index] = snapshotRecord{digest: f.Digest, node: node, at: at}
		return vs
	}
	if first.digest != f.Digest {
		vs = append(vs, Violation{
			Invariant: InvariantSnapshotAgreement,
			Class:     ClassSafety,
			At:        at,
			Nodes:     involved(node, first.node),
			Detail: fmt.Sprintf("%v's snapshot at index %d has state digest %016x, but %v's had %016x at %v",
				node, f.Index, f.Digest, first.node, first.digest, first.at),
		})
	}
	return vs
}

// Crashed implements Online: the replica's next incarnation may replay its
// log from the start.
func (a *Applied) Crashed(at time.Duration, node nodes.ID) {
	delete(a.last, node)
}

func (a *Applied) applied(at time.Duration, node nodes.ID, f kv.AppliedFact) []Violation {
	var vs []Violation
	if last := a.last[node]; f.Index <= last || f.Index == 0 {
		detail := fmt.Sprintf("%v applied index %d after index %d", node, f.Index, last)
		if f.Index == 0 {
			detail = fmt.Sprintf("%v applied index 0; indexes start at 1", node)
		}
		vs = append(vs, Violation{
			Invariant: InvariantAppliedOrder,
			Class:     ClassSafety,
			At:        at,
			Nodes:     involved(node),
			Detail:    detail,
		})
	}
	a.last[node] = max(a.last[node], f.Index)
	first, ok := a.first[f.Index]
	if !ok {
		a.first[f.Index] = appliedRecord{cmd: f.Cmd, node: node, at: at}
		return vs
	}
	if first.cmd != f.Cmd {
		vs = append(vs, Violation{
			Invariant: InvariantAppliedAgreement,
			Class:     ClassSafety,
			At:        at,
			Nodes:     involved(node, first.node),
			Detail: fmt.Sprintf("%v applied %v at index %d, but %v applied %v there at %v",
				node, f.Cmd, f.Index, first.node, first.cmd, first.at),
		})
	}
	return vs
}
