package raft

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(*Config)
		wantErr string
	}{
		{"default", func(*Config) {}, ""},
		{"bugs are valid", func(c *Config) {
			c.Bugs = Bugs{VoteWithoutLogCheck: true, CommitPriorTermByCount: true, VoteComparesLastIndexOnly: true,
				ReplyBeforeSync: true, ForgetVoteOnRestart: true, TruncateOnEveryAppend: true, CommitToLastIndex: true,
				ApplyBeforeCommit: true, ReadLocally: true, CommitQuorum: 2}
		}, ""},
		{"negative commit quorum", func(c *Config) { c.Bugs.CommitQuorum = -1 }, "Bugs.CommitQuorum must not be negative"},
		{"zero min", func(c *Config) { c.ElectionTimeoutMin = 0 }, "ElectionTimeoutMin must be positive"},
		{"max not above min", func(c *Config) { c.ElectionTimeoutMax = c.ElectionTimeoutMin }, "ElectionTimeoutMax (150ms) must be greater"},
		{"zero heartbeat", func(c *Config) { c.HeartbeatInterval = 0 }, "HeartbeatInterval must be positive"},
		{"heartbeat not below timeout", func(c *Config) { c.HeartbeatInterval = time.Second }, "HeartbeatInterval (1s) must be less"},
		{"no entries per append", func(c *Config) { c.MaxEntriesPerAppend = 0 }, "MaxEntriesPerAppend must be at least 1"},
		{"all features", func(c *Config) {
			c.PreVote, c.CheckQuorum, c.ReadIndex, c.LeaseReads, c.MaxClockDrift = true, true, true, true, 1.5
		}, ""},
		{"lease without ReadIndex", func(c *Config) { c.CheckQuorum, c.LeaseReads = true, true }, "LeaseReads needs ReadIndex"},
		{"lease without CheckQuorum", func(c *Config) { c.ReadIndex, c.LeaseReads = true, true }, "LeaseReads needs CheckQuorum"},
		{"negative lease", func(c *Config) { leaseReads(c); c.LeaseDuration = -1 }, "LeaseDuration must not be negative"},
		{"lease below the bound", func(c *Config) {
			leaseReads(c)
			c.MaxClockDrift, c.LeaseDuration = 1.5, 66*time.Millisecond // bound 150ms/2.25 = 66.67ms
		}, ""},
		{"lease at the bound", func(c *Config) {
			leaseReads(c)
			c.MaxClockDrift = 1.5
			c.LeaseDuration = c.SafeLeaseBound()
		}, "LeaseDuration (66.666666ms) must be less than ElectionTimeoutMin/MaxClockDrift^2 = 150ms/1.5^2 = 66.666666ms"},
		{"lease above the bound without drift", func(c *Config) { leaseReads(c); c.LeaseDuration = 200 * time.Millisecond },
			"LeaseDuration (200ms) must be less than ElectionTimeoutMin/MaxClockDrift^2 = 150ms/1^2 = 150ms"},
		{"lease too long unused", func(c *Config) { c.LeaseDuration = time.Second }, ""},
		{"LeaseIgnoresDrift is valid", func(c *Config) {
			leaseReads(c)
			c.MaxClockDrift, c.Bugs.LeaseIgnoresDrift = 2, true
		}, ""},
		{"drift below 1", func(c *Config) { c.MaxClockDrift = 0.5 }, "MaxClockDrift bounds speeds within [1/d, d]"},
		{"negative drift", func(c *Config) { c.MaxClockDrift = -1 }, "MaxClockDrift must be 0 or at least 1"},
		{"NaN drift", func(c *Config) { c.MaxClockDrift = math.NaN() }, "MaxClockDrift must be 0 or at least 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			tt.edit(&c)
			err := c.Validate()
			if tt.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			assert.ErrorContains(t, err, tt.wantErr)
		})
	}
}

func TestLeaseDuration(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(*Config)
		bound time.Duration
		lease time.Duration
	}{
		{"no drift: 90% of the election timeout", func(*Config) {}, 150 * time.Millisecond, 135 * time.Millisecond},
		{"drift 2: 90% of a quarter", func(c *Config) { c.MaxClockDrift = 2 }, 37500 * time.Microsecond, 33750 * time.Microsecond},
		{"configured", func(c *Config) { c.MaxClockDrift, c.LeaseDuration = 2, 30*time.Millisecond },
			37500 * time.Microsecond, 30 * time.Millisecond},
		{"LeaseIgnoresDrift: 90% of the election timeout", func(c *Config) {
			c.MaxClockDrift, c.LeaseDuration, c.Bugs.LeaseIgnoresDrift = 2, 30*time.Millisecond, true
		}, 37500 * time.Microsecond, 135 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			leaseReads(&c)
			tt.edit(&c)
			assert.Equal(t, tt.bound, c.SafeLeaseBound())
			assert.Equal(t, tt.lease, c.leaseDuration())
			assert.NoError(t, c.Validate())
		})
	}
}
