package paxos

import (
	"fmt"
	"time"
)

// Config tunes a Node. Build one from DefaultConfig and check it with
// Validate: New does not validate.
type Config struct {
	// FailureTimeoutMin and FailureTimeoutMax bound the randomized failure
	// timeout after which a follower that has not heard from its leader
	// runs phase 1 itself, drawn uniformly from [min, max) at every reset.
	// Invariant: 0 < HeartbeatInterval < FailureTimeoutMin <
	// FailureTimeoutMax.
	FailureTimeoutMin time.Duration
	FailureTimeoutMax time.Duration
	// HeartbeatInterval is how often a leader sends every follower a
	// Heartbeat (its chosen prefix) and resends the proposals the follower
	// has not acknowledged.
	HeartbeatInterval time.Duration
	// MaxSlotsPerMessage caps the values of one Accept or Learn message.
	// Invariant: >= 1.
	MaxSlotsPerMessage int
	// Bugs switches on deliberately broken variants, for testing the
	// checkers. The zero value is correct Multi-Paxos.
	Bugs Bugs
}

// Bugs lists deliberately broken variants of the protocol. Each field, when
// true, disables one safety rule so that a test can check that the checkers
// notice. The zero value is always the correct protocol.
type Bugs struct {
	// PromiseOmitsAccepted makes an acceptor's promise leave out the values
	// it accepted (and the ones it learned), the classic broken acceptor:
	// a new leader then sees empty slots, fills them with no-ops or new
	// commands, and a slot can choose a second value.
	PromiseOmitsAccepted bool
	// AdoptLowestBallot makes a new leader adopt, at each slot, the value
	// accepted with the lowest ballot among the promises instead of the
	// highest. "Paxos Made Simple" §2.2 (P2c) requires the value of the
	// highest-numbered proposal: only that one can have been chosen. An
	// older value differs from a chosen one when a leader's proposal
	// reached a minority and a later ballot chose something else there;
	// the new leader then proposes the loser again and a slot chooses a
	// second value.
	AdoptLowestBallot bool
	// RoundOnlyBallots makes every comparison of ballots look at the round
	// alone: the node id no longer breaks ties, so two proposers that pick
	// the same round hold what the acceptors take for one ballot and both
	// win phase 1. "Paxos Made Simple" §2.2 requires that "different
	// proposers choose their numbers from disjoint sets"; with equal
	// ballots an acceptor accepts both leaders' proposals, and one ballot
	// (as the acceptors see it) can choose two values.
	RoundOnlyBallots bool
	// AcceptBelowPromise makes an acceptor accept a proposal whose ballot
	// is below its promise, and answer Accepted, instead of rejecting it.
	// It breaks P1a ("Paxos Made Simple" §2.2: an acceptor can accept a
	// proposal numbered n iff it has not responded to a prepare request
	// having a number greater than n): a deposed leader that has not
	// noticed yet still gets its proposals chosen after its successor
	// adopted, and chose, other values.
	AcceptBelowPromise bool
	// PromiseNotDurable keeps the acceptor's promise in memory only: it is
	// reported, and answered, as if durable, but no record is written
	// (a compaction writes the zero promise), so a restarted acceptor has
	// forgotten it. "Paxos Made Simple" §2.2: "an acceptor must remember
	// this information even if it fails and then restarts"; one that forgot
	// its promise accepts proposals of the ballots it promised to ignore.
	PromiseNotDurable bool
	// Phase1Quorum and Phase2Quorum, when not zero, replace the majority
	// as the number of promises that wins phase 1 and of acceptances that
	// choose a value (and keep a leader's lease). Flexible Paxos (Howard,
	// Malkhi & Spiegelman, "Flexible Paxos: Quorum intersection
	// revisited", 2016) shows that safety needs only every phase-1 quorum
	// to intersect every phase-2 quorum, Phase1Quorum + Phase2Quorum > N;
	// sizes that keep that are a correct variant, sizes that break it
	// (say N=5, Q1=2, Q2=3) let a new leader's phase 1 miss a chosen
	// value. The sizes must lie in 0..N (Start panics otherwise).
	Phase1Quorum int
	Phase2Quorum int
}

// DefaultConfig returns timings like Raft's: a failure timeout of
// 150ms..300ms, a heartbeat every 50ms, 64 values per message.
func DefaultConfig() Config {
	return Config{
		FailureTimeoutMin:  150 * time.Millisecond,
		FailureTimeoutMax:  300 * time.Millisecond,
		HeartbeatInterval:  50 * time.Millisecond,
		MaxSlotsPerMessage: 64,
	}
}

// Validate reports the first thing wrong with c, naming the field.
func (c Config) Validate() error {
	switch {
	case c.FailureTimeoutMin <= 0:
		return fmt.Errorf("paxos config: FailureTimeoutMin must be positive, got %v", c.FailureTimeoutMin)
	case c.FailureTimeoutMax <= c.FailureTimeoutMin:
		return fmt.Errorf("paxos config: FailureTimeoutMax (%v) must be greater than FailureTimeoutMin (%v)",
			c.FailureTimeoutMax, c.FailureTimeoutMin)
	case c.HeartbeatInterval <= 0:
		return fmt.Errorf("paxos config: HeartbeatInterval must be positive, got %v", c.HeartbeatInterval)
	case c.HeartbeatInterval >= c.FailureTimeoutMin:
		return fmt.Errorf("paxos config: HeartbeatInterval (%v) must be less than FailureTimeoutMin (%v)",
			c.HeartbeatInterval, c.FailureTimeoutMin)
	case c.MaxSlotsPerMessage < 1:
		return fmt.Errorf("paxos config: MaxSlotsPerMessage must be at least 1, got %d", c.MaxSlotsPerMessage)
	case c.Bugs.Phase1Quorum < 0:
		return fmt.Errorf("paxos config: Bugs.Phase1Quorum must not be negative, got %d", c.Bugs.Phase1Quorum)
	case c.Bugs.Phase2Quorum < 0:
		return fmt.Errorf("paxos config: Bugs.Phase2Quorum must not be negative, got %d", c.Bugs.Phase2Quorum)
	}
	return nil
}
