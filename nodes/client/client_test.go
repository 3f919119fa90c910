package client

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestUntilBurst(t *testing.T) {
	const ms = time.Millisecond
	bursty := Config{Burst: 300 * ms, Idle: 600 * ms}
	tests := []struct {
		name   string
		config Config
		now    time.Duration
		want   time.Duration
	}{
		{"no bursts", Config{}, 450 * ms, 0},
		{"start of a burst", bursty, 0, 0},
		{"inside a burst", bursty, 299 * ms, 0},
		{"start of an idle", bursty, 300 * ms, 600 * ms},
		{"inside an idle", bursty, 850 * ms, 50 * ms},
		{"next cycle's burst", bursty, 1000 * ms, 0},
		{"next cycle's idle", bursty, 1700 * ms, 100 * ms},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.config.untilBurst(tt.now))
		})
	}
}

func TestValidateBurstAndIdle(t *testing.T) {
	base := Config{Keys: 1, Timeout: time.Second}
	tests := []struct {
		name         string
		burst, idle  time.Duration
		wantErrField string
	}{
		{"neither", 0, 0, ""},
		{"both", time.Second, time.Second, ""},
		{"burst alone", time.Second, 0, "burst: 1s and idle: 0s, set both or neither"},
		{"idle alone", 0, time.Second, "set both or neither"},
		{"negative burst", -time.Second, time.Second, "burst: -1s is negative"},
		{"negative idle", time.Second, -time.Second, "idle: -1s is negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := base
			c.Burst, c.Idle = tt.burst, tt.idle
			err := c.Validate()
			if tt.wantErrField == "" {
				assert.NoError(t, err)
				return
			}
			assert.ErrorContains(t, err, tt.wantErrField)
		})
	}
}
