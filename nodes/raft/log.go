package raft

import (
	"fmt"
	"sort"
)

// raftLog is the replicated log of Figure 2: entry i (1-based) is
// entries[i-1], and index 0 is the empty prefix, of term 0.
//
// Invariant: terms never decrease along the log (§5.3: a leader appends only
// in its own term, which is at least every term it holds).
//
// The log's backing array is shared with AppendEntries messages in flight
// (slice returns sub-slices with their capacity clipped), so an entry once in
// the array is never overwritten: truncate clips the capacity too, so the
// next append reallocates instead of writing over a message's entries.
type raftLog struct {
	entries []Entry
}

// lastIndex is the index of the last entry (0 when empty).
func (l *raftLog) lastIndex() uint64 { return uint64(len(l.entries)) }

// lastTerm is the term of the last entry (0 when empty).
func (l *raftLog) lastTerm() uint64 { return l.term(l.lastIndex()) }

// term is the term of entry i; 0 for i == 0.
func (l *raftLog) term(i uint64) uint64 {
	if i == 0 {
		return 0
	}
	return l.entry(i).Term
}

// entry returns entry i, which must exist.
func (l *raftLog) entry(i uint64) Entry {
	if i == 0 || i > l.lastIndex() {
		panic(fmt.Sprintf("raft: entry %d is out of range [1, lastIndex(%d)]", i, l.lastIndex()))
	}
	return l.entries[i-1]
}

// slice returns entries lo..hi-1 sharing the log's memory, with the capacity
// clipped so that an append to the result cannot write into the log.
func (l *raftLog) slice(lo, hi uint64) []Entry {
	if lo < 1 || lo > hi || hi > l.lastIndex()+1 {
		panic(fmt.Sprintf("raft: slice [%d, %d) is out of range [1, lastIndex(%d)+1]", lo, hi, l.lastIndex()))
	}
	return l.entries[lo-1 : hi-1 : hi-1]
}

// from returns the entries after index `after`, sharing the log's memory.
func (l *raftLog) from(after uint64) []Entry { return l.slice(after+1, l.lastIndex()+1) }

// append adds entries at the end.
func (l *raftLog) append(es ...Entry) {
	if len(es) > 0 && es[0].Term < l.lastTerm() {
		panic(fmt.Sprintf("raft: appending term %d after lastTerm(%d) at lastIndex(%d)", es[0].Term, l.lastTerm(), l.lastIndex()))
	}
	l.entries = append(l.entries, es...)
}

// truncate keeps the first `keep` entries. The capacity is clipped so that
// the dropped entries, which messages in flight may share, are never
// overwritten by a later append.
func (l *raftLog) truncate(keep uint64) {
	if keep > l.lastIndex() {
		panic(fmt.Sprintf("raft: truncate to %d beyond lastIndex(%d)", keep, l.lastIndex()))
	}
	l.entries = l.entries[:keep:keep]
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
// entry i, i.e. the first index whose term equals term(i). i must be >= 1.
// It relies on terms never decreasing along the log.
func (l *raftLog) firstIndexOfTerm(i uint64) uint64 {
	t := l.term(i)
	return uint64(sort.Search(int(i), func(j int) bool { return l.entries[j].Term >= t })) + 1
}

// lastIndexOfTerm returns the last index <= upTo whose entry has term t, if
// any. It relies on terms never decreasing along the log.
func (l *raftLog) lastIndexOfTerm(t, upTo uint64) (uint64, bool) {
	upTo = min(upTo, l.lastIndex())
	// The first index in 1..upTo whose term exceeds t.
	k := uint64(sort.Search(int(upTo), func(j int) bool { return l.entries[j].Term > t }))
	if k == 0 || l.entries[k-1].Term != t {
		return 0, false
	}
	return k, true
}
