package raft

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestLogTermSearch(t *testing.T) {
	l := raftLog{entries: entries(1, 1, 3, 3, 3, 4)}
	for _, tt := range []struct{ index, want uint64 }{{1, 1}, {2, 1}, {3, 3}, {5, 3}, {6, 6}} {
		assert.Equal(t, tt.want, l.firstIndexOfTerm(tt.index), "firstIndexOfTerm(%d)", tt.index)
	}
	for _, tt := range []struct {
		term, upTo, want uint64
		ok               bool
	}{
		{1, 6, 2, true}, {3, 6, 5, true}, {3, 4, 4, true}, {3, 2, 0, false},
		{2, 6, 0, false}, {4, 9, 6, true}, {5, 6, 0, false},
	} {
		got, ok := l.lastIndexOfTerm(tt.term, tt.upTo)
		assert.Equal(t, tt.ok, ok, "lastIndexOfTerm(%d, %d)", tt.term, tt.upTo)
		assert.Equal(t, tt.want, got, "lastIndexOfTerm(%d, %d)", tt.term, tt.upTo)
	}
}

func TestLogIsUpToDate(t *testing.T) {
	l := raftLog{entries: entries(1, 2, 2)}
	assert.True(t, l.isUpToDate(3, 2))
	assert.True(t, l.isUpToDate(4, 2))
	assert.True(t, l.isUpToDate(1, 3))
	assert.False(t, l.isUpToDate(2, 2))
	assert.False(t, l.isUpToDate(9, 1))
	assert.True(t, (&raftLog{}).isUpToDate(0, 0))
}

func TestLogTruncateClipsCapacity(t *testing.T) {
	l := raftLog{entries: make([]Entry, 0, 8)}
	l.append(entries(1, 1, 1)...)
	shared := l.slice(2, 4)
	l.truncate(1)
	l.append(entriesFrom(2, 2)...)
	assert.Equal(t, entriesFrom(2, 1, 1), shared)
	assert.Equal(t, 0, cap(l.slice(1, 1)))
}

func TestLogOutOfRangePanics(t *testing.T) {
	l := raftLog{entries: entries(1, 2)}
	assert.PanicsWithValue(t, "raft: entry 3 is out of range [snapIndex(0)+1, lastIndex(2)]", func() { l.entry(3) })
	assert.Panics(t, func() { l.slice(2, 4) })
	assert.Panics(t, func() { l.truncate(3) })
	assert.Panics(t, func() { l.append(entriesFrom(3, 1)...) }, "term going backwards")
}
