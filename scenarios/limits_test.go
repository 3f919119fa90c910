package scenarios

import (
	"errors"
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/consim/consim/network"
	"github.com/consim/consim/nodes/client"
	"github.com/stretchr/testify/require"
)

// TestLimitsAreCheckedWhenAFileIsRead: a file beyond a limit is an error at
// the line and field, saying the limit and what to do instead.
func TestLimitsAreCheckedWhenAFileIsRead(t *testing.T) {
	tests := []struct {
		file  string
		line  int
		field string
		want  []string
	}{
		{"forever.yaml", 3, "duration", []string{"87600h0m0s is longer than 10m0s", "a fixed limit", "sweep more seeds"}},
		{"crowd.yaml", 7, "workload.think_time_mean", []string{"0s with 100 clients on 5 keys offers up to 1667 operations per simulated second to the busiest key", "the limit is 300", "think time of at least 56ms"}},
		{"no-latency.yaml", 9, "workload.think_time_mean", []string{"unboundedly many (no think time and no latency)"}},
		{"hot-zipfian-key.yaml", 8, "workload.think_time_mean", []string{"on 1000 zipfian keys", "its share 0.83", "the limit is 300"}},
		{"too-many-keys.yaml", 3, "workload.keys", []string{"2000000, need at most 1000000"}},
		{"too-many-servers.yaml", 2, "servers", []string{"16, need 1..15 (a fixed limit)"}},
		{"too-many-clients.yaml", 2, "clients", []string{"101, need 0..100 (a fixed limit)"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("testdata", "limits", tt.file)
			_, err := LoadScenario(path)
			require.Error(t, err)
			var fe *FileError
			require.True(t, errors.As(err, &fe), "%T: %v", err, err)
			assert.Equal(t, tt.line, fe.Line, "line: %v", err)
			assert.Equal(t, tt.field, fe.Field, "field: %v", err)
			for _, want := range tt.want {
				assert.Contains(t, fe.Msg, want)
			}
		})
	}
}

// TestTheLargestFileIsAccepted: the file that asks for the most of
// everything is within every limit.
func TestTheLargestFileIsAccepted(t *testing.T) {
	s, err := LoadScenario(filepath.Join("testdata", "limits", "everything.yaml"))
	require.NoError(t, err)
	assert.Equal(t, MaxServers, s.Servers)
	assert.Equal(t, MaxClients, s.Clients)
	assert.Equal(t, MaxDuration, s.Duration)
	assert.InDelta(t, MaxKeyLoad, s.keyLoad(), 0.02*MaxKeyLoad, "at the key load limit")
}

// TestNamedScenariosFitTheLimits: every named scenario and regression case
// fits each limit with room to spare: a limit is for inputs no run could
// serve, never for the ones the project runs.
func TestNamedScenariosFitTheLimits(t *testing.T) {
	check := func(t *testing.T, s Scenario) {
		require.NoError(t, s.Validate())
		assert.LessOrEqual(t, s.keyLoad(), 0.65*MaxKeyLoad, "key load")
		assert.LessOrEqual(t, s.Duration, MaxDuration/10)
		assert.LessOrEqual(t, s.Clients, MaxClients*3/4)
	}
	for _, name := range Names() {
		s, err := Named(name)
		require.NoError(t, err)
		t.Run(name, func(t *testing.T) { check(t, s) })
	}
	files, err := filepath.Glob(filepath.Join("testdata", "regress", "*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, file := range files {
		s, err := LoadScenario(file)
		require.NoError(t, err)
		t.Run(filepath.Base(file), func(t *testing.T) { check(t, s) })
	}
}

func TestKeyLoad(t *testing.T) {
	base := Base() // 3 clients, 20ms think time, 5 uniform keys, 1ms + 2ms latency
	tests := []struct {
		name   string
		change func(s *Scenario)
		want   float64
	}{
		{"base", func(s *Scenario) {}, 3 / 0.032 / 5},
		{"no clients", func(s *Scenario) { s.Clients = 0 }, 0},
		{"no think time", func(s *Scenario) { s.Workload.ThinkTimeMean = 0 }, 3 / 0.012 / 5},
		{"a faster link counts", func(s *Scenario) {
			s.Network.Links = []network.Link{linkWithLatency(0, 500*time.Microsecond)}
		}, 3 / 0.022 / 5},
		{"zipfian k0 gets more", func(s *Scenario) { s.Workload.KeyDistribution = "zipfian" }, 3 / 0.032 * hottestShare(s5zipf())},
		{"nothing slows the clients", func(s *Scenario) {
			s.Workload.ThinkTimeMean, s.Network.LatencyMin, s.Network.LatencyTailMean = 0, 0, 0
		}, math.Inf(1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := base
			tt.change(&s)
			if math.IsInf(tt.want, 1) {
				assert.True(t, math.IsInf(s.keyLoad(), 1))
				return
			}
			assert.InDelta(t, tt.want, s.keyLoad(), 1e-6*tt.want+1e-9)
		})
	}
}

// TestHottestShare: uniform keys share evenly; zipfian ones as math/rand's
// Zipf draws them, the sum's tail past 10,000 keys by its integral.
func TestHottestShare(t *testing.T) {
	zipf := func(keys int, exponent float64) float64 {
		sum := 0.0
		for k := range keys {
			sum += math.Pow(float64(1+k), -exponent)
		}
		return 1 / sum
	}
	assert.InDelta(t, 0.2, hottestShare(Base().Workload), 1e-12)
	assert.InDelta(t, zipf(5, 1.2), hottestShare(s5zipf()), 1e-12)
	big := s5zipf()
	big.Keys, big.ZipfExponent = MaxKeys, 1.5
	assert.InDelta(t, zipf(MaxKeys, 1.5), hottestShare(big), 1e-4*zipf(MaxKeys, 1.5))
}

func linkWithLatency(minimum, tail time.Duration) network.Link {
	return network.Link{From: 1, To: 2, LatencyMin: minimum, LatencyTailMean: tail}
}

// s5zipf is the base workload (5 keys) with zipfian keys.
func s5zipf() client.Config {
	w := Base().Workload
	w.KeyDistribution = "zipfian"
	return w
}
