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
	}
	return nil
}
