// Package raftfacts defines the facts a Raft node reports for the checkers
// (checker.NewRaft): its durable hard state, log and snapshots (§7), after
// each Sync. Any
// Raft can report them: our own (nodes/raft) and the adapter for
// go.etcd.io/raft (nodes/etcdraft), so that one checker judges both without
// one protocol importing another.
//
// raftfacts imports only nodes and nodes/kv.
package raftfacts

import (
	"fmt"

	"github.com/consim/consim/nodes"
	"github.com/consim/consim/nodes/kv"
)

// The facts below are what a Raft node reports through Env.Observe for the
// checkers (package checker). Facts about durable state are reported only
// after the Sync that made the state durable, so a checker's shadow copy of a
// node's term, vote, commit index and log is exactly what survives a crash.
// Role changes are reported with nodes.RoleChanged, Epoch = term.

// Entry is one log entry. Its index is its position in the log (1-based).
type Entry struct {
	Term uint64
	Cmd  kv.Command
}

func (e Entry) String() string { return fmt.Sprintf("t%d:%v", e.Term, e.Cmd) }

// HardStateFact reports the node's durable term, vote and commit index
// (Figure 2 "persistent state on all servers"; like etcd, the commit index is
// persisted too, so that it never goes backwards across restarts). It is
// reported after every Sync that changed one of them, and once at Start after
// recovery.
type HardStateFact struct {
	Term uint64
	// Vote is the candidate voted for in Term, or 0.
	Vote nodes.ID
	// Commit is the highest log index known committed.
	Commit uint64
}

func (HardStateFact) Kind() string { return "raft.hardstate" }

func (f HardStateFact) String() string {
	return fmt.Sprintf("hardstate term=%d vote=%d commit=%d", f.Term, f.Vote, f.Commit)
}

// LogFact reports a durable change to the node's log: the log is now its
// first After entries followed by Entries. Entries may be empty (a pure
// truncation). The slice is valid only during Observe. At Start after
// recovery the node reports its whole recovered log with After = 0.
type LogFact struct {
	After   uint64
	Entries []Entry
}

func (LogFact) Kind() string { return "raft.log" }

func (f LogFact) String() string {
	return fmt.Sprintf("log after=%d entries=%v", f.After, f.Entries)
}

// SnapshotFact reports that the node's durable state now holds a snapshot
// (Raft §7) covering log entries 1..Index, the entry at Index being of Term,
// and that Digest (kv.StateMachine.Digest) is the key-value state, sessions
// included, after applying entries 1..Index.
//
// The node's log is then the committed entries 1..Index followed by the
// entries after Index it held before, if its entry at Index had Term
// (compaction, or an InstallSnapshot whose last included entry the node
// held: Figure 13 step 6), and by nothing otherwise (Figure 13 step 7). Later
// LogFacts never have After below Index; LogFact.After stays an absolute
// index.
//
// It is reported after the Sync that made the snapshot durable: when the node
// compacts its own log, when it installs a snapshot from the leader, and at
// Start after recovery, before the LogFact of the entries after the snapshot
// (which then has After = Index).
type SnapshotFact struct {
	Index uint64
	Term  uint64
	// Digest is the digest of the state machine after entry Index.
	Digest uint64
}

func (SnapshotFact) Kind() string { return "raft.snapshot" }

func (f SnapshotFact) String() string {
	return fmt.Sprintf("snapshot index=%d term=%d digest=%016x", f.Index, f.Term, f.Digest)
}

// Reasons a leadership transfer attempt ended without the transferee
// taking over, in TransferExpiredFact.Reason (thesis §3.10).
const (
	// TransferTimedOut: the attempt's bound (an election timeout on the
	// leader's clock) passed while the leader still led.
	TransferTimedOut = "timed-out"
	// TransferSuperseded: a request to hand over to another server replaced
	// the attempt.
	TransferSuperseded = "superseded"
	// TransferSteppedDown: the leader stopped leading during the attempt
	// (which is also how a successful transfer ends, when the transferee's
	// higher term reaches it).
	TransferSteppedDown = "stepped-down"
)

// TransferExpiredFact reports that the leader of Term ended its attempt to
// hand leadership to To, for Reason. TimeoutNowSent says whether it had told
// To to stand (the transferee's log had caught up). It is a quiet fact
// (nodes.QuietFact): for the checkers only, outside the trace and the
// fingerprint, and reporting it changes nothing the node does.
type TransferExpiredFact struct {
	To             nodes.ID
	Term           uint64
	Reason         string
	TimeoutNowSent bool
}

func (TransferExpiredFact) Kind() string { return "raft.transfer-expired" }

// Quiet implements nodes.QuietFact.
func (TransferExpiredFact) Quiet() {}

func (f TransferExpiredFact) String() string {
	return fmt.Sprintf("transfer to %v in term %d ended: %s (timeout-now sent: %v)", f.To, f.Term, f.Reason, f.TimeoutNowSent)
}
