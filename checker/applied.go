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
	// first[i] is the first command applied at index i, and by whom (set
	// false if none yet). Indexes are dense from 1, so a slice grown by
	// doubling costs less than a map; an index beyond len(first)+maxDenseGap
	// (a protocol bug) goes to sparse instead.
	first []appliedRecord
	// sparse maps the indexes too far beyond first to their first record.
	sparse map[uint64]appliedRecord
	// snapshots maps an index to the first snapshot reported at it.
	snapshots map[uint64]snapshotRecord
	// last[id] is the index replica id last applied in its current
	// incarnation (a snapshot counting as applying up to its index); a
	// replica beyond the slice or with !started has applied nothing since
	// it (re)started. Node ids are small, so a slice spares hashing.
	last []lastApplied
}

// lastApplied is a replica's last applied index in its incarnation.
type lastApplied struct {
	index   uint64
	started bool
}

// lastOf returns the index replica node last applied in its current
// incarnation, and whether it applied anything.
func (a *Applied) lastOf(node nodes.ID) (uint64, bool) {
	if node < 0 || int(node) >= len(a.last) {
		return 0, false
	}
	return a.last[node].index, a.last[node].started
}

// raiseLast raises replica node's last applied index to at least index.
func (a *Applied) raiseLast(node nodes.ID, index uint64) {
	if int(node) >= len(a.last) {
		a.last = append(a.last, make([]lastApplied, int(node)+1-len(a.last))...)
	}
	a.last[node] = lastApplied{index: max(a.last[node].index, index), started: true}
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
	set  bool
}

// maxDenseGap bounds how far beyond the indexes seen so far Applied.first
// grows for one index.
const maxDenseGap = 1 << 16

// firstAt returns the first record at index, if any.
func (a *Applied) firstAt(index uint64) (appliedRecord, bool) {
	if index < uint64(len(a.first)) {
		return a.first[index], a.first[index].set
	}
	rec, ok := a.sparse[index]
	return rec, ok
}

// setFirst records rec as the first at index, which has none.
func (a *Applied) setFirst(index uint64, rec appliedRecord) {
	rec.set = true
	switch {
	case index < uint64(len(a.first)):
		a.first[index] = rec
	case index < uint64(len(a.first))+maxDenseGap:
		a.first = growTo(a.first, int(index+1))
		a.first[index] = rec
	default:
		a.sparse[index] = rec
	}
}

// NewApplied returns an empty Applied checker.
func NewApplied() *Applied {
	return &Applied{sparse: map[uint64]appliedRecord{}, snapshots: map[uint64]snapshotRecord{}}
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
	if last, ok := a.lastOf(node); ok && f.Index < last {
		vs = append(vs, Violation{
			Invariant: InvariantAppliedOrder,
			Class:     ClassSafety,
			At:        at,
			Nodes:     involved(node),
			Detail:    fmt.Sprintf("%v restored a snapshot of index %d after applying index %d", node, f.Index, last),
		})
	}
	a.raiseLast(node, f.Index)
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
	if node >= 0 && int(node) < len(a.last) {
		a.last[node] = lastApplied{}
	}
}

func (a *Applied) applied(at time.Duration, node nodes.ID, f kv.AppliedFact) []Violation {
	var vs []Violation
	if last, _ := a.lastOf(node); f.Index <= last || f.Index == 0 {
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
	a.raiseLast(node, f.Index)
	first, ok := a.firstAt(f.Index)
	if !ok {
		a.setFirst(f.Index, appliedRecord{cmd: f.Cmd, node: node, at: at})
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
