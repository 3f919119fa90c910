package scenarios

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/consim/consim/checker"
	"github.com/consim/consim/network"
)

// endCheckProtocols are the correct protocols the end-of-run checks must
// accept: every base, and Raft with every feature.
var endCheckProtocols = []string{"raft", "raft+prevote+checkquorum", allRaftFeatures, "paxos", "etcd"}

// TestEndChecksRejectBrokenRaft: followers that never apply fail
// convergence (naming the followers), and a leader silent while idle fails
// stability on idle-bursts, though clients are served in both.
func TestEndChecksRejectBrokenRaft(t *testing.T) {
	tests := []struct {
		bug       string
		scenario  string
		invariant string
		class     checker.Class
		text      string
	}{
		{"raft-followers-never-apply", "steady", checker.InvariantConvergence, checker.ClassLiveness, "at index 0"},
		{"raft-followers-never-apply", "crash-restart", checker.InvariantConvergence, checker.ClassLiveness, "had not applied index"},
		{"raft-no-idle-heartbeats", "idle-bursts", checker.InvariantStability, checker.ClassEffect, "an election was started"},
	}
	for _, tt := range tests {
		t.Run(tt.bug+"/"+tt.scenario, func(t *testing.T) {
			s, err := Named(tt.scenario)
			require.NoError(t, err)
			res, err := Run(s, Options{Protocol: "raft", Bug: tt.bug, Seed: 1})
			require.NoError(t, err)
			require.Len(t, res.Violations, 1, "%v", res.Violations)
			v := res.Violations[0]
			assert.Equal(t, tt.invariant, v.Invariant)
			assert.Equal(t, tt.class, v.Class)
			assert.Equal(t, string(tt.class), res.Verdict)
			assert.Contains(t, v.Detail, tt.text)
			assert.Equal(t, uint64(1), v.Seed)
			assert.NotZero(t, res.OpsOK, "the clients were served")
			if tt.invariant == checker.InvariantConvergence {
				assert.Len(t, v.Nodes, 4, "every follower lags: %v", v)
			}
		})
	}
}

// TestEndChecksAcceptCorrectProtocols: the correct protocols pass both
// checks on the fault-free scenarios, and convergence after faults,
// including a server halted for good on a corrupt disk (disk-faults: it is
// down at the end and owes nothing) and a server restarted by the liveness
// phase that must catch up over InstallSnapshot (snapshot-catchup).
func TestEndChecksAcceptCorrectProtocols(t *testing.T) {
	for _, protocol := range endCheckProtocols {
		for _, name := range []string{"steady", "idle-bursts", "disk-faults", "snapshot-catchup"} {
			s, err := Named(name)
			require.NoError(t, err)
			for seed := uint64(1); seed <= 2; seed++ {
				res, err := Run(s, Options{Protocol: protocol, Seed: seed})
				require.NoError(t, err)
				assert.False(t, res.Failed(), "%s on %s seed %d: %v", protocol, name, seed, res.Violations)
				if name == "disk-faults" && BaseProtocol(res.Protocol) == "raft" {
					assert.Positive(t, res.Halts, "n2 halts on its corrupt disk")
				}
			}
		}
	}
}

// TestConvergenceIsNotJudgedWhenFaultsAreKept: under KeepFaults a crashed
// server stays down and a cut-off one stays behind; that is the scenario's
// doing, not the protocol's.
func TestConvergenceIsNotJudgedWhenFaultsAreKept(t *testing.T) {
	s := Base()
	s.Name = "kept-isolation"
	s.KeepFaults = true
	s.Faults = []Fault{{At: 500 * time.Millisecond, Action: ActIsolate, Node: 5}}
	res, err := Run(s, Options{Protocol: "raft", Seed: 1})
	require.NoError(t, err)
	assert.False(t, res.Failed(), "%v", res.Violations)

	s.KeepFaults = false // healed: n5 catches up
	res, err = Run(s, Options{Protocol: "raft", Seed: 1})
	require.NoError(t, err)
	assert.False(t, res.Failed(), "%v", res.Violations)
}

func TestFaultFree(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(s *Scenario)
		want   bool
	}{
		{"base", func(s *Scenario) {}, true},
		{"bursts", func(s *Scenario) { s.Workload.Burst, s.Workload.Idle = time.Second, time.Second }, true},
		{"a fault", func(s *Scenario) { s.Faults = []Fault{{At: time.Second, Action: ActHeal}} }, false},
		{"a transfer", func(s *Scenario) { s.Faults = []Fault{{At: time.Second, Action: ActTransferLeader}} }, false},
		{"swarm", func(s *Scenario) { s.Swarm = true }, false},
		{"loss", func(s *Scenario) { s.Network.DropRate = 0.01 }, false},
		{"duplicates", func(s *Scenario) { s.Network.DuplicateRate = 0.01 }, false},
		{"reordering", func(s *Scenario) { s.Network.ReorderRate = 0.01 }, false},
		{"a link setting", func(s *Scenario) {
			s.Network.Links = []network.Link{{From: 1, LatencyMin: time.Millisecond}}
		}, false},
		{"slow links", func(s *Scenario) { s.Network.LatencyTailMean = 50 * time.Millisecond }, false},
		{"a long minimum latency", func(s *Scenario) { s.Network.LatencyMin = 100 * time.Millisecond }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Base()
			tt.mutate(&s)
			assert.Equal(t, tt.want, faultFree(s))
		})
	}
	for _, name := range []string{"steady", "idle-bursts"} {
		s, err := Named(name)
		require.NoError(t, err)
		assert.True(t, faultFree(s), name)
	}
}
