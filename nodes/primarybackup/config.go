package primarybackup

import (
	"fmt"
	"time"
)

// Config tunes a Node. Build one from DefaultConfig and check it with
// Validate: New does not validate.
type Config struct {
	// PingInterval is how often a server tells every other server that it
	// is alive and how far it has applied.
	PingInterval time.Duration
	// FailureTimeout is how long a server goes unheard before the others
	// take it for dead. Invariant: 0 < PingInterval < FailureTimeout.
	FailureTimeout time.Duration
	// MaxCommandsPerMessage caps the commands of one Update. Invariant: >= 1.
	MaxCommandsPerMessage int
}

// DefaultConfig returns timings like Raft's and Paxos': a ping every 50ms,
// a failure timeout of 150ms, 64 commands per message.
func DefaultConfig() Config {
	return Config{
		PingInterval:          50 * time.Millisecond,
		FailureTimeout:        150 * time.Millisecond,
		MaxCommandsPerMessage: 64,
	}
}

// Validate reports the first thing wrong with c, naming the field.
func (c Config) Validate() error {
	switch {
	case c.PingInterval <= 0:
		return fmt.Errorf("primary-backup config: PingInterval must be positive, got %v", c.PingInterval)
	case c.FailureTimeout <= c.PingInterval:
		return fmt.Errorf("primary-backup config: FailureTimeout (%v) must be greater than PingInterval (%v)",
			c.FailureTimeout, c.PingInterval)
	case c.MaxCommandsPerMessage < 1:
		return fmt.Errorf("primary-backup config: MaxCommandsPerMessage must be at least 1, got %d", c.MaxCommandsPerMessage)
	}
	return nil
}
