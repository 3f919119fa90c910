package raft

import (
	"fmt"
	"strings"

	"github.com/consim/consim/nodes"
)

// The four Raft RPCs of Figure 2, as one-way messages. Every message carries
// the sender's term; a receiver that sees a higher term adopts it and becomes
// follower before handling the message (§5.1). The sender is the nodes.ID the
// message came from, so candidateId and leaderId are not repeated here.
//
// Messages are values that nobody mutates after Send: the network may deliver
// one twice. An AppendEntries' Entries slice shares memory with the leader's
// log, which is therefore never overwritten in place (see raftLog.truncate);
// receivers copy entries into their own log.

// RequestVote asks for a vote in Term (§5.2, Figure 2 "RequestVote RPC").
type RequestVote struct {
	Term uint64
	// LastLogIndex and LastLogTerm describe the candidate's last log entry,
	// for the voter's up-to-date check (§5.4.1).
	LastLogIndex uint64
	LastLogTerm  uint64
	// PreVote marks a pre-vote (thesis §9.6): Term is the term the sender
	// would stand in, and neither side changes its term or vote for it.
	PreVote bool
	// Transfer marks an election a leader asked for (TimeoutNow, thesis
	// §3.10): voters grant it even while they still hear from the old
	// leader (Config.CheckQuorum's refusal does not apply).
	Transfer bool
}

// RequestVoteReply answers a RequestVote.
type RequestVoteReply struct {
	// Term is the voter's current term, for the candidate to update itself;
	// for a granted pre-vote, the term of the request, which the voter has
	// not adopted.
	Term    uint64
	Granted bool
	// PreVote says it answers a pre-vote.
	PreVote bool
}

// TimeoutNow tells a server that the leader of Term hands leadership over to
// it (thesis §3.10): its log matches the leader's, and it should stand for
// election at once, without waiting for its election timeout or a pre-vote.
type TimeoutNow struct {
	Term uint64
}

// AppendEntries replicates log entries and serves as heartbeat (§5.3,
// Figure 2 "AppendEntries RPC").
type AppendEntries struct {
	Term uint64
	// PrevLogIndex and PrevLogTerm name the entry just before Entries, for
	// the follower's consistency check (§5.3).
	PrevLogIndex uint64
	PrevLogTerm  uint64
	// Entries are the entries at PrevLogIndex+1, ...; empty for a
	// heartbeat. Never written to after Send.
	Entries []Entry
	// LeaderCommit is the leader's commit index.
	LeaderCommit uint64
	// ReadRound is the leader's latest round of leadership confirmation
	// when it sent the message (thesis §6.4); the reply echoes it, which
	// proves the follower still accepted the leader's term after the round
	// began. Zero unless Config.ReadIndex.
	ReadRound uint64
}

// AppendEntriesReply answers an AppendEntries.
type AppendEntriesReply struct {
	// Term is the follower's current term, for the leader to update itself.
	Term    uint64
	Success bool
	// Index is, on success, the index of the last entry the follower now
	// knows matches the leader's log (PrevLogIndex + len(Entries)); on
	// reject, the PrevLogIndex that failed the consistency check.
	Index uint64
	// ConflictTerm and ConflictIndex are the fast-backtracking hint of a
	// reject (§5.3, end; MIT 6.824 style): the term of the follower's
	// entry at PrevLogIndex and the first index the follower holds of that
	// term. ConflictTerm is 0 when the follower's log is too short to hold
	// PrevLogIndex.
	ConflictTerm  uint64
	ConflictIndex uint64
	// LastIndex is the follower's last log index.
	LastIndex uint64
	// ReadRound echoes the AppendEntries' ReadRound.
	ReadRound uint64
}

func (m RequestVote) Kind() string {
	if m.PreVote {
		return "raft.prevote"
	}
	return "raft.vote"
}

func (m RequestVoteReply) Kind() string {
	if m.PreVote {
		return "raft.prevote-reply"
	}
	return "raft.vote-reply"
}

func (AppendEntries) Kind() string      { return "raft.append" }
func (AppendEntriesReply) Kind() string { return "raft.append-reply" }
func (TimeoutNow) Kind() string         { return "raft.timeout-now" }

func (m RequestVote) String() string {
	s := fmt.Sprintf("vote t%d last=%d@t%d", m.Term, m.LastLogIndex, m.LastLogTerm)
	if m.PreVote {
		s = "pre" + s
	}
	if m.Transfer {
		s += " transfer"
	}
	return s
}

func (m RequestVoteReply) String() string {
	s := "vote-reply"
	if m.PreVote {
		s = "prevote-reply"
	}
	if m.Granted {
		return fmt.Sprintf("%s t%d granted", s, m.Term)
	}
	return fmt.Sprintf("%s t%d refused", s, m.Term)
}

func (m TimeoutNow) String() string { return fmt.Sprintf("timeout-now t%d", m.Term) }

// maxEntriesShown bounds how many entries AppendEntries.String prints.
const maxEntriesShown = 4

func (m AppendEntries) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "append t%d prev=%d@t%d commit=%d entries=%d", m.Term, m.PrevLogIndex, m.PrevLogTerm,
		m.LeaderCommit, len(m.Entries))
	if m.ReadRound != 0 {
		fmt.Fprintf(&b, " round=%d", m.ReadRound)
	}
	if len(m.Entries) > 0 {
		shown := m.Entries[:min(len(m.Entries), maxEntriesShown)]
		fmt.Fprintf(&b, " %v", shown)
		if len(shown) < len(m.Entries) {
			b.WriteString("...")
		}
	}
	return b.String()
}

func (m AppendEntriesReply) String() string {
	round := ""
	if m.ReadRound != 0 {
		round = fmt.Sprintf(" round=%d", m.ReadRound)
	}
	if m.Success {
		return fmt.Sprintf("append-reply t%d ok index=%d%s", m.Term, m.Index, round)
	}
	return fmt.Sprintf("append-reply t%d reject index=%d conflict=%d@t%d last=%d%s",
		m.Term, m.Index, m.ConflictIndex, m.ConflictTerm, m.LastIndex, round)
}

// messageTerm returns the term a Raft message carries, or false for any
// other message.
func messageTerm(m any) (uint64, bool) {
	switch m := m.(type) {
	case RequestVote:
		return m.Term, true
	case RequestVoteReply:
		return m.Term, true
	case *AppendEntries:
		return m.Term, true
	case *AppendEntriesReply:
		return m.Term, true
	case TimeoutNow:
		return m.Term, true
	case InstallSnapshot:
		return m.Term, true
	case InstallSnapshotReply:
		return m.Term, true
	}
	return 0, false
}

// InstallSnapshot sends a follower the leader's snapshot when the entries it
// needs next have been compacted away (§7, Figure 13 "InstallSnapshot RPC").
// The whole snapshot travels in one message: there is no chunking (Figure
// 13's offset and done), as a simulated message has no size limit.
type InstallSnapshot struct {
	Term uint64
	// LastIncludedIndex and LastIncludedTerm name the last entry the
	// snapshot replaces.
	LastIncludedIndex uint64
	LastIncludedTerm  uint64
	// Data is the state machine after LastIncludedIndex
	// (kv.StateMachine.Snapshot, sessions included). It shares memory with
	// the leader's snapshot; nobody writes to it.
	Data []byte
}

// InstallSnapshotReply answers an InstallSnapshot.
type InstallSnapshotReply struct {
	// Term is the follower's current term, for the leader to update itself.
	Term uint64
	// Index is the follower's commit index after handling the snapshot:
	// its log matches the leader's up to there, as committed entries are
	// in every later leader's log (§5.4).
	Index uint64
}

func (InstallSnapshot) Kind() string      { return "raft.snapshot" }
func (InstallSnapshotReply) Kind() string { return "raft.snapshot-reply" }

func (m InstallSnapshot) String() string {
	return fmt.Sprintf("snapshot t%d last=%d@t%d bytes=%d", m.Term, m.LastIncludedIndex, m.LastIncludedTerm, len(m.Data))
}

func (m InstallSnapshotReply) String() string {
	return fmt.Sprintf("snapshot-reply t%d index=%d", m.Term, m.Index)
}

// outbox holds the AppendEntries and AppendEntriesReply messages a node
// sends, the bulk of Raft's traffic, so that sending one allocates nothing:
// converting a struct to nodes.Message copies it to a fresh heap object,
// whereas a pointer converts for free. These two messages therefore travel
// as *AppendEntries and *AppendEntriesReply, pointing into chunks of
// outboxChunk messages that the outbox allocates one at a time.
//
// Invariant: a slot is written once, before its message is sent, and never
// again (a chunk is only appended to, and a full one is replaced by a new
// one), so a message stays immutable however long the network holds it and
// however often it is delivered. The garbage collector frees a chunk once
// no message in it is referenced.
type outbox struct {
	appends []AppendEntries
	replies []AppendEntriesReply
}

// outboxChunk is how many messages of one type an outbox chunk holds.
const outboxChunk = 32

// appendEntries returns m, copied into the outbox, for sending.
func (o *outbox) appendEntries(m AppendEntries) *AppendEntries {
	var slot *AppendEntries
	o.appends, slot = nextSlot(o.appends, m)
	return slot
}

// appendEntriesReply returns m, copied into the outbox, for sending.
func (o *outbox) appendEntriesReply(m AppendEntriesReply) *AppendEntriesReply {
	var slot *AppendEntriesReply
	o.replies, slot = nextSlot(o.replies, m)
	return slot
}

// nextSlot copies v into the next free slot of chunk, starting a new chunk
// when it is full, and returns the chunk and the slot.
func nextSlot[T any](chunk []T, v T) ([]T, *T) {
	if len(chunk) == cap(chunk) {
		chunk = make([]T, 0, outboxChunk)
	}
	chunk = append(chunk, v)
	return chunk, &chunk[len(chunk)-1]
}

// byPointer returns an AppendEntries or AppendEntriesReply sent as a value
// (tests do) as a pointer, the form the step functions handle; any other
// message is returned as it is.
func byPointer(m nodes.Message) nodes.Message {
	switch m := m.(type) {
	case AppendEntries:
		return &m
	case AppendEntriesReply:
		return &m
	}
	return m
}
