package paxos

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
		{"bugs are valid", func(c *Config) { c.Bugs = Bugs{PromiseOmitsAccepted: true} }, ""},
		{"zero min", func(c *Config) { c.FailureTimeoutMin = 0 }, "FailureTimeoutMin must be positive"},
		{"max not above min", func(c *Config) { c.FailureTimeoutMax = c.FailureTimeoutMin }, "FailureTimeoutMax (150ms) must be greater"},
		{"zero heartbeat", func(c *Config) { c.HeartbeatInterval = 0 }, "HeartbeatInterval must be positive"},
		{"heartbeat not below timeout", func(c *Config) { c.HeartbeatInterval = time.Second }, "HeartbeatInterval (1s) must be less"},
		{"no slots per message", func(c *Config) { c.MaxSlotsPerMessage = 0 }, "MaxSlotsPerMessage must be at least 1"},
		{"flexible quorums", func(c *Config) { c.Bugs.Phase1Quorum, c.Bugs.Phase2Quorum = 4, 2 }, ""},
		{"negative phase-1 quorum", func(c *Config) { c.Bugs.Phase1Quorum = -1 }, "Bugs.Phase1Quorum must not be negative, got -1"},
		{"negative phase-2 quorum", func(c *Config) { c.Bugs.Phase2Quorum = -2 }, "Bugs.Phase2Quorum must not be negative, got -2"},
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

func TestBallotOrder(t *testing.T) {
	ordered := []Ballot{{}, ballot(0, 1), ballot(1, 1), ballot(1, 2), ballot(2, 1)}
	for i := range ordered {
		for j := range ordered {
			assert.Equal(t, i < j, ordered[i].Less(ordered[j]), "%v < %v", ordered[i], ordered[j])
			assert.Equal(t, cmpInt(i, j), ordered[i].Compare(ordered[j]), "%v <=> %v", ordered[i], ordered[j])
		}
	}
	assert.Equal(t, "b3.2", ballot(3, 2).String())
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
