package raft

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/consim/consim/nodes"
)

// TestOutbox: a message sent from the outbox reads back as the value sent,
// keeps it while later messages fill its chunk and the next ones, and is
// told apart by type like any message; step accepts it as sent or as a
// value.
func TestOutbox(t *testing.T) {
	var o outbox
	var sent []nodes.Message
	for i := range 3*outboxChunk + 1 {
		sent = append(sent,
			o.appendEntries(AppendEntries{Term: uint64(i), PrevLogIndex: uint64(i) + 1, Entries: []Entry{{Term: uint64(i)}}}),
			o.appendEntriesReply(AppendEntriesReply{Term: uint64(i), Success: i%2 == 0, Index: uint64(i) + 2}))
	}
	for k, m := range sent {
		i := uint64(k / 2)
		switch m := m.(type) {
		case *AppendEntries:
			require.Equal(t, 0, k%2, "message %d", k)
			assert.Equal(t, AppendEntries{Term: i, PrevLogIndex: i + 1, Entries: []Entry{{Term: i}}}, *m)
			assert.Equal(t, "raft.append", m.Kind())
			assert.Same(t, m, byPointer(m), "a pointer passes through")
			assert.Equal(t, m, byPointer(*m), "a value becomes a pointer to an equal value")
		case *AppendEntriesReply:
			require.Equal(t, 1, k%2, "message %d", k)
			assert.Equal(t, AppendEntriesReply{Term: i, Success: i%2 == 0, Index: i + 2}, *m)
		default:
			t.Fatalf("message %d is a %T", k, m)
		}
	}
}
