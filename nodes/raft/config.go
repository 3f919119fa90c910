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
	// Bugs switches on deliberately broken variants, for testing the
	// checkers. The zero value is correct Raft.
	Bugs Bugs
}

// Bugs lists deliberately broken variants of the protocol. Each field, when
// true, disables one safety rule so that a test can check that the checkers
// notice. More bugs are added as more fields; the zero value is always the
// correct protocol.
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
	}
	return nil
}
