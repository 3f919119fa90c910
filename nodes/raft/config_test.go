package raft

import (
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
