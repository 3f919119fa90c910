package raft

import (
	"fmt"
	"slices"
	"sort"
)

// raftLog is the replicated log of Figure 2 after compaction (§7): entries
// 1..snapIndex are covered by a snapshot and gone, and entry i for
// snapIndex < i <= lastIndex is entries[i-snapIndex-1]. Index 0 is the empty
// prefix, of term 0; with snapIndex = 0 nothing is compacted. Every method
// takes and returns absolute indexes.
//
// Invariants: the snapshot's last included entry is known by its term alone
// (term(snapIndex) = snapTerm), no entry at or below snapIndex can be read,
// and snapIndex only grows except when a snapshot from the leader replaces
// the whole log (reset). Terms never decrease along the log (§5.3: a leader
// appends only in its own term, which is at least every term it holds).
//
// The log's backing array is shared with AppendEntries messages in flight
// (slice returns sub-slices with their capacity clipped), so an entry once in
// the array is never overwritten: truncate clips the capacity too, so the
// next append reallocates instead of writing over a message's entries.
type raftLog struct {
	// snapIndex and snapTerm are the index and term of the last entry the
	// snapshot covers; 0 and 0 without a snapshot.
	snapIndex uint64
	snapTerm  uint64
	entries   []Entry
}

// lastIndex is the index of the last entry (snapIndex when no entry follows
// the snapshot).
func (l *raftLog) lastIndex() uint64 { return l.snapIndex + uint64(len(l.entries)) }

// lastTerm is the term of the last entry (0 when empty).
func (l *raftLog) lastTerm() uint64 { return l.term(l.lastIndex()) }

// term is the term of entry i, which must be snapIndex (or 0) or a held
// entry.
func (l *raftLog) term(i uint64) uint64 {
	switch {
	case i == l.snapIndex:
		return l.snapTerm
	case i == 0:
		return 0
	}
	return l.entry(i).Term
}

// entry returns entry i, which must be held (after the snapshot).
func (l *raftLog) entry(i uint64) Entry {
	if i <= l.snapIndex || i > l.lastIndex() {
		panic(fmt.Sprintf("raft: entry %d is out of range [snapIndex(%d)+1, lastIndex(%d)]", i, l.snapIndex, l.lastIndex()))
	}
	return l.entries[i-l.snapIndex-1]
}

// slice returns entries lo..hi-1 sharing the log's memory, with the capacity
// clipped so that an append to the result cannot write into the log.
func (l *raftLog) slice(lo, hi uint64) []Entry {
	if lo <= l.snapIndex || lo > hi || hi > l.lastIndex()+1 {
		panic(fmt.Sprintf("raft: slice [%d, %d) is out of range [snapIndex(%d)+1, lastIndex(%d)+1]", lo, hi, l.snapIndex, l.lastIndex()))
	}
	return l.entries[lo-l.snapIndex-1 : hi-l.snapIndex-1 : hi-l.snapIndex-1]
}

// from returns the entries after index `after` (>= snapIndex), sharing the
// log's memory.
func (l *raftLog) from(after uint64) []Entry { return l.slice(after+1, l.lastIndex()+1) }

// append adds entries at the end.
func (l *raftLog) append(es ...Entry) {
	if len(es) > 0 && es[0].Term < l.lastTerm() {
		panic(fmt.Sprintf("raft: appending term %d after lastTerm(%d) at lastIndex(%d)", es[0].Term, l.lastTerm(), l.lastIndex()))
	}
	l.entries = append(l.entries, es...)
}

// truncate keeps the first `keep` entries (keep >= snapIndex). The capacity
// is clipped so that the dropped entries, which messages in flight may share,
// are never overwritten by a later append.
func (l *raftLog) truncate(keep uint64) {
	if keep < l.snapIndex || keep > l.lastIndex() {
		panic(fmt.Sprintf("raft: truncate to %d out of range [snapIndex(%d), lastIndex(%d)]", keep, l.snapIndex, l.lastIndex()))
	}
	n := keep - l.snapIndex
	l.entries = l.entries[:n:n]
}

// compact drops the entries up to index, which must be held or be
// snapIndex, and makes index the snapshot's last included entry (§7). The
// entries after it are kept, in a fresh array so that the dropped ones can
// be freed (messages in flight keep their own).
func (l *raftLog) compact(index uint64) {
	if index < l.snapIndex || index > l.lastIndex() {
		panic(fmt.Sprintf("raft: compact to %d out of range [snapIndex(%d), lastIndex(%d)]", index, l.snapIndex, l.lastIndex()))
	}
	term := l.term(index)
	l.entries = slices.Clone(l.entries[index-l.snapIndex:])
	l.snapIndex, l.snapTerm = index, term
}

// reset discards the whole log for a snapshot ending at (index, term)
// (Figure 13 step 7).
func (l *raftLog) reset(index, term uint64) {
	l.snapIndex, l.snapTerm, l.entries = index, term, nil
}

// holds reports whether the log has an entry at index of term, counting the
// snapshot's last included entry (Figure 13 step 6).
func (l *raftLog) holds(index, term uint64) bool {
	return index >= l.snapIndex && index <= l.lastIndex() && l.term(index) == term
}

// isUpToDate reports whether a log ending at (lastIndex, lastTerm) is at
// least as up-to-date as this one (§5.4.1): the later last term wins, and
// with equal last terms the longer log.
func (l *raftLog) isUpToDate(lastIndex, lastTerm uint64) bool {
	if lastTerm != l.lastTerm() {
		return lastTerm > l.lastTerm()
	}
	return lastIndex >= l.lastIndex()
}

// firstIndexOfTerm returns the first index of the run of entries that holds
// entry i, i.e. the first index whose term equals term(i), as far as the log
// still holds entries: never below snapIndex+1, or snapIndex for i =
// snapIndex. i must be >= 1. It relies on terms never decreasing along the
// log.
func (l *raftLog) firstIndexOfTerm(i uint64) uint64 {
	if i == l.snapIndex {
		return i
	}
	t := l.term(i)
	held := int(i - l.snapIndex)
	return l.snapIndex + uint64(sort.Search(held, func(j int) bool { return l.entries[j].Term >= t })) + 1
}

// lastIndexOfTerm returns the last index <= upTo whose entry has term t, if
// any. It relies on terms never decreasing along the log.
//
// Below snapIndex the terms are gone: it then answers false, except for the
// snapshot's last included entry itself.
func (l *raftLog) lastIndexOfTerm(t, upTo uint64) (uint64, bool) {
	upTo = min(upTo, l.lastIndex())
	if upTo < l.snapIndex {
		return 0, false
	}
	// The first index in snapIndex+1..upTo whose term exceeds t, less
	// snapIndex+1.
	k := uint64(sort.Search(int(upTo-l.snapIndex), func(j int) bool { return l.entries[j].Term > t }))
	if k == 0 {
		if l.snapIndex > 0 && l.snapTerm == t {
			return l.snapIndex, true
		}
		return 0, false
	}
	if l.entries[k-1].Term != t {
		return 0, false
	}
	return l.snapIndex + k, true
}
