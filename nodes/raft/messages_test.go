package raft

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/consim/consim/nodes"
	"github.com/consim/consim/nodes/kv"
)

func TestMessageStrings(t *testing.T) {
	tests := []struct {
		msg        nodes.Message
		kind, text string
	}{
		{RequestVote{Term: 3, LastLogIndex: 7, LastLogTerm: 2}, "raft.vote", "vote t3 last=7@t2"},
		{RequestVoteReply{Term: 3, Granted: true}, "raft.vote-reply", "vote-reply t3 granted"},
		{RequestVoteReply{Term: 3}, "raft.vote-reply", "vote-reply t3 refused"},
		{AppendEntries{Term: 3, PrevLogIndex: 1, PrevLogTerm: 1, LeaderCommit: 1}, "raft.append",
			"append t3 prev=1@t1 commit=1 entries=0"},
		{AppendEntries{Term: 3, Entries: []Entry{{Term: 3, Cmd: kv.Noop}, {Term: 3, Cmd: put(5, 1, "k", "v")}}},
			"raft.append", `append t3 prev=0@t0 commit=0 entries=2 [t3:noop t3:c5#1 put(k,"v")]`},
		{AppendEntries{Term: 1, Entries: entries(1, 1, 1, 1, 1)}, "raft.append",
			`append t1 prev=0@t0 commit=0 entries=5 [t1:c9#1 put(k1,"v1@t1") t1:c9#2 put(k2,"v2@t1") t1:c9#3 put(k3,"v3@t1") t1:c9#4 put(k4,"v4@t1")]...`},
		{AppendEntriesReply{Term: 3, Success: true, Index: 4}, "raft.append-reply", "append-reply t3 ok index=4"},
		{AppendEntriesReply{Term: 3, Index: 4, ConflictTerm: 2, ConflictIndex: 2, LastIndex: 5}, "raft.append-reply",
			"append-reply t3 reject index=4 conflict=2@t2 last=5"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.kind, tt.msg.Kind())
		assert.Equal(t, tt.text, tt.msg.(interface{ String() string }).String())
	}
}
