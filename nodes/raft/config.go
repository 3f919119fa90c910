package raft

import (
	"fmt"
	"time"
)

// Config tunes a Node. Build one from DefaultConfig and check it with
// Validate: New does not validate.
type Config struct {
	// ElectionTimeoutMin and ElectionTimeoutMax bound the randomized
	// election timeout, drawn uniformly from [min, max) at every reset
	// (§5.2). Invariant: 0 < HeartbeatInterval < ElectionTimeoutMin <
	// ElectionTimeoutMax.
	ElectionTimeoutMin time.Duration
	ElectionTimeoutMax time.Duration
	// HeartbeatInterval is how often a leader sends AppendEntries to every
	// follower, with or without entries (§5.2).
	HeartbeatInterval time.Duration
	// MaxEntriesPerAppend caps the entries of one AppendEntries message.
	// Invariant: >= 1.
	MaxEntriesPerAppend int
	// PreVote runs a pre-election before every election (Ongaro's thesis
	// §9.6): a would-be candidate first asks whether it could win, without
	// raising its term, and stands only if a majority says yes. A server
	// cut off from the cluster then never raises its term, so it cannot
	// depose a healthy leader when it rejoins.
	PreVote bool
	// CheckQuorum makes a leader step down when it has not heard from a
	// majority within an election timeout, and makes a server that heard
	// from a leader within ElectionTimeoutMin refuse to vote or pre-vote for
	// another candidate (thesis §6.2 and §4.2.3, "disruptive servers").
	// Leadership transfer overrides the refusal.
	CheckQuorum bool
	// ReadIndex serves gets without a log entry (thesis §6.4): the leader
	// waits until an entry of its term has committed, records its commit
	// index as the read index, confirms with a round of heartbeats that a
	// majority still follows it, waits until it has applied the read
	// index, and answers from its state machine. Without it gets go
	// through the log like writes.
	ReadIndex bool
	// LeaseReads serves gets from a leader's lease (thesis §6.4.1) and
	// falls back to ReadIndex outside it: a heartbeat round a majority
	// acknowledged lets the leader answer reads for LeaseDuration on its
	// own clock, counted from when it sent the round. It needs ReadIndex
	// and CheckQuorum (whose vote refusal is what the lease relies on) and
	// a lease that even under clock drift ends before any follower that
	// acknowledged the round could vote for someone else:
	// LeaseDuration * MaxClockDrift^2 < ElectionTimeoutMin.
	LeaseReads bool
	// LeaseDuration is the lease length on the leader's clock. Zero means
	// 90% of SafeLeaseBound.
	LeaseDuration time.Duration
	// MaxClockDrift bounds how fast or slow a server's timers may run: any
	// speed within [1/MaxClockDrift, MaxClockDrift] of real time. 0 or 1
	// means no drift. The scenario runner sets it from the scenario.
	MaxClockDrift float64
	// SnapshotEvery, when positive, compacts the log (§7): once this many
	// entries have been applied since the last snapshot, the node saves a
	// snapshot of its state machine (sessions included) and drops the
	// entries it covers; a leader sends InstallSnapshot to a follower that
	// needs entries it has dropped. Zero never compacts.
	SnapshotEvery uint64
	// Bugs switches on deliberately broken variants, for testing the
	// checkers. The zero value is correct Raft.
	Bugs Bugs
}

// Bugs lists deliberately broken variants of the protocol. Each field, when
// set, disables one safety rule so that a test can check that the checkers
// notice; with every field unset the node runs exactly the correct code path
// (one test of a field at each place a rule is enforced). More bugs are
// added as more fields; the zero value is always the correct protocol.
type Bugs struct {
	// VoteWithoutLogCheck grants votes without the §5.4.1 up-to-date check
	// on the candidate's log (one vote per term still holds), so a
	// candidate missing committed entries can be elected, violating leader
	// completeness.
	VoteWithoutLogCheck bool
	// CommitPriorTermByCount lets a leader advance its commit index over
	// entries of prior terms by counting replicas alone, violating §5.4.2
	// (the Figure 8 scenario): such an entry can still be overwritten.
	CommitPriorTermByCount bool
	// VoteComparesLastIndexOnly makes the §5.4.1 up-to-date check compare
	// the lengths of the logs only, ignoring the terms of their last
	// entries, so that a candidate with a long tail of stale entries from
	// an old term beats voters holding newer committed entries.
	VoteComparesLastIndexOnly bool
	// ReplyBeforeSync answers RequestVote and AppendEntries before the
	// term, vote and log entries they changed are synced, breaking Figure
	// 2's "updated on stable storage before responding to RPCs": the
	// changes are synced lazily, at the start of the node's next input, so
	// a crash in between loses a vote or an entry already acknowledged.
	ReplyBeforeSync bool
	// ForgetVoteOnRestart does not recover votedFor at restart (Figure 2
	// lists it as persistent state): a server that crashes and restarts
	// within a term can vote a second time in it (§5.2).
	ForgetVoteOnRestart bool
	// TruncateOnEveryAppend makes a follower drop every entry after those
	// of an AppendEntries, not only at a conflict (Figure 2, receiver step
	// 3: "if an existing entry conflicts with a new one"). An old,
	// reordered or duplicated AppendEntries then deletes entries the
	// follower has acknowledged, which the leader may have counted towards
	// a commit. Entries up to the follower's own commit index are kept.
	TruncateOnEveryAppend bool
	// CommitToLastIndex sets a follower's commit index to
	// min(leaderCommit, its own last index) on every AppendEntries of the
	// leader's term, whether or not the consistency check passed, instead
	// of min(leaderCommit, index of last new entry) after a match (Figure
	// 2, receiver step 5; §5.3): the follower commits and applies stale
	// entries it has not matched with the leader's log.
	CommitToLastIndex bool
	// ApplyBeforeCommit applies every durable entry to the state machine,
	// and answers its client, as soon as it is appended, not once it is
	// committed (§5.3, "a log entry is committed once ... it is safe to
	// apply"; Figure 2's lastApplied <= commitIndex): an entry that is later
	// overwritten has already taken effect.
	ApplyBeforeCommit bool
	// ReadLocally lets a leader answer a get from its own state machine
	// without a log entry or any other check that it still leads (§8: a
	// leader must exchange heartbeats with a majority, or commit an entry,
	// before answering a read-only request). A deposed leader that does
	// not know it yet, or a new leader that has not applied its
	// predecessor's last entries, returns stale values.
	ReadLocally bool
	// CommitQuorum, when positive, is the number of servers (the leader
	// included) whose copy of an entry commits it, in place of a majority
	// (§5.3). Below a majority, two commit quorums, or a commit quorum and
	// an election quorum, need not overlap, so a new leader can miss a
	// committed entry (§5.4). Election quorums stay majorities.
	CommitQuorum int
	// ReadIndexBeforeNoop lets a leader take its commit index as a read
	// index before any entry of its own term has committed (thesis §6.4
	// step 1 requires the no-op to commit first): a new leader's commit
	// index can lag behind entries its predecessor committed and
	// acknowledged, so the read misses them.
	ReadIndexBeforeNoop bool
	// LeaseIgnoresDrift makes the lease 90% of ElectionTimeoutMin whatever
	// Config.MaxClockDrift says (thesis §6.4.1: the lease must allow for
	// clock drift): a leader whose clock runs slow keeps serving reads
	// from its lease after followers whose clocks run fast have elected a
	// new leader that accepted writes.
	LeaseIgnoresDrift bool

	// The switches below are cost bugs: the protocol stays correct and
	// every safety and liveness check passes, but it pays more than it
	// should. scenarios.TestCostsCatchBrokenVariants shows the cost table
	// (scenarios/testdata/costs.tsv) catches each.

	// SnapshotEveryEntry takes a snapshot after every applied entry
	// whatever SnapshotEvery says (§7 compaction with a threshold of one),
	// so every commit writes the whole state machine to disk.
	SnapshotEveryEntry bool
	// DoubleSync syncs the disk twice for every write (a redundant fsync):
	// durability is unchanged, every write pays two syncs.
	DoubleSync bool
	// ExtraReadRound makes a ReadIndex read wait for a second heartbeat
	// round after the one that would confirm it (thesis §6.4 needs one),
	// so reads cost an extra round of messages.
	ExtraReadRound bool
	// FollowersNeverApply keeps every server but the leader from applying
	// committed entries (Figure 2, "Rules for Servers, All Servers": if
	// commitIndex > lastApplied, apply): followers store, acknowledge and
	// commit entries, but their state machines stay behind until they
	// lead. Clients, served by the leader, notice nothing.
	FollowersNeverApply bool
	// NoIdleHeartbeats makes the heartbeat timer send AppendEntries only
	// to followers that lack entries (§5.2: a leader sends heartbeats
	// during idle periods to prevent election timeouts): while no
	// commands come, followers hear nothing and stand for election.
	NoIdleHeartbeats bool

	// The variants below break a feature's effect rather than safety
	// (issue 16, checker.ClassEffect); each is caught by its effect check.

	// TransferWithoutTimeoutNow never sends TimeoutNow (thesis §3.10): the
	// leader catches the transferee up and then waits until the attempt
	// expires, so leadership never moves.
	TransferWithoutTimeoutNow bool
	// PreCandidateBumpsTerm makes a pre-candidate raise its term (thesis
	// §9.6 says a pre-vote changes neither term nor vote): a server cut off
	// from the cluster raises its term as without PreVote.
	PreCandidateBumpsTerm bool
	// CheckQuorumNeverStepsDown keeps a leader leading however long no
	// majority answers it (thesis §6.2).
	CheckQuorumNeverStepsDown bool
	// LeaseKeptAfterTimeoutNow keeps trusting the lease after sending
	// TimeoutNow (thesis §3.10, §6.4.1): the transferee's voters grant it
	// their votes while they still count towards this leader's lease. Not
	// yet caught: a leader refuses every request until the attempt ends, an
	// election timeout after the request, and a lease confirmed before
	// TimeoutNow rarely outlasts that (see the transfer-lease scenario).
	LeaseKeptAfterTimeoutNow bool
	// SnapshotWithoutTruncation takes snapshots but never rewrites the
	// storage: the log records a snapshot covers stay on disk (§7), so the
	// disk grows with every entry.
	SnapshotWithoutTruncation bool
}

// DefaultConfig returns the paper's usual timing: election timeout
// 150ms..300ms, heartbeat every 50ms, 64 entries per AppendEntries.
func DefaultConfig() Config {
	return Config{
		ElectionTimeoutMin:  150 * time.Millisecond,
		ElectionTimeoutMax:  300 * time.Millisecond,
		HeartbeatInterval:   50 * time.Millisecond,
		MaxEntriesPerAppend: 64,
	}
}

// Validate reports the first thing wrong with c, naming the field.
func (c Config) Validate() error {
	switch {
	case c.ElectionTimeoutMin <= 0:
		return fmt.Errorf("raft config: ElectionTimeoutMin must be positive, got %v", c.ElectionTimeoutMin)
	case c.ElectionTimeoutMax <= c.ElectionTimeoutMin:
		return fmt.Errorf("raft config: ElectionTimeoutMax (%v) must be greater than ElectionTimeoutMin (%v)",
			c.ElectionTimeoutMax, c.ElectionTimeoutMin)
	case c.HeartbeatInterval <= 0:
		return fmt.Errorf("raft config: HeartbeatInterval must be positive, got %v", c.HeartbeatInterval)
	case c.HeartbeatInterval >= c.ElectionTimeoutMin:
		return fmt.Errorf("raft config: HeartbeatInterval (%v) must be less than ElectionTimeoutMin (%v)",
			c.HeartbeatInterval, c.ElectionTimeoutMin)
	case c.MaxEntriesPerAppend < 1:
		return fmt.Errorf("raft config: MaxEntriesPerAppend must be at least 1, got %d", c.MaxEntriesPerAppend)
	case c.Bugs.CommitQuorum < 0:
		return fmt.Errorf("raft config: Bugs.CommitQuorum must not be negative, got %d", c.Bugs.CommitQuorum)
	case c.MaxClockDrift < 0 || c.MaxClockDrift != c.MaxClockDrift:
		return fmt.Errorf("raft config: MaxClockDrift must be 0 or at least 1, got %v", c.MaxClockDrift)
	case c.MaxClockDrift != 0 && c.MaxClockDrift < 1:
		return fmt.Errorf("raft config: MaxClockDrift bounds speeds within [1/d, d], so it must be 0 or at least 1, got %v",
			c.MaxClockDrift)
	case c.LeaseReads && !c.ReadIndex:
		return fmt.Errorf("raft config: LeaseReads needs ReadIndex (reads outside the lease fall back to it)")
	case c.LeaseReads && !c.CheckQuorum:
		return fmt.Errorf("raft config: LeaseReads needs CheckQuorum (the lease relies on followers refusing votes while they hear from the leader)")
	case c.LeaseDuration < 0:
		return fmt.Errorf("raft config: LeaseDuration must not be negative, got %v", c.LeaseDuration)
	case c.LeaseReads && !c.Bugs.LeaseIgnoresDrift && c.leaseDuration() >= c.SafeLeaseBound():
		return fmt.Errorf("raft config: LeaseDuration (%v) must be less than ElectionTimeoutMin/MaxClockDrift^2 = %v/%v^2 = %v",
			c.leaseDuration(), c.ElectionTimeoutMin, c.drift(), c.SafeLeaseBound())
	}
	return nil
}

// drift is MaxClockDrift, with 0 meaning 1.
func (c Config) drift() float64 { return max(c.MaxClockDrift, 1) }

// SafeLeaseBound is the longest a lease may be: a lease of L on a leader's
// clock running at 1/d lasts L*d of real time, and a follower whose clock
// runs at d refuses votes for ElectionTimeoutMin/d of real time after it
// last heard from the leader, so L*d < ElectionTimeoutMin/d (thesis §6.4.1).
func (c Config) SafeLeaseBound() time.Duration {
	d := c.drift()
	return time.Duration(float64(c.ElectionTimeoutMin) / (d * d))
}

// leaseDuration is the lease length in use: LeaseDuration, or 90% of
// SafeLeaseBound when zero. Bugs.LeaseIgnoresDrift uses 90% of
// ElectionTimeoutMin, as if clocks never drifted.
func (c Config) leaseDuration() time.Duration {
	switch {
	case c.Bugs.LeaseIgnoresDrift:
		return c.ElectionTimeoutMin * 9 / 10
	case c.LeaseDuration > 0:
		return c.LeaseDuration
	}
	return c.SafeLeaseBound() * 9 / 10
}
