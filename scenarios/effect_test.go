package scenarios

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/consim/consim/checker"
	"github.com/consim/consim/nodes/raft"
)

// TestBrokenFeaturesAreCaughtByTheirEffect runs each deliberately broken
// feature of raft.Bugs on the scenario that exercises it and asserts that
// its effect check rejects it within a few seeds, while the correct
// protocol passes the same seeds.
func TestBrokenFeaturesAreCaughtByTheirEffect(t *testing.T) {
	cases := []struct {
		name, protocol, scenario, invariant string
		bugs                                raft.Bugs
	}{
		{"transfer without TimeoutNow", "raft", "transfer-lease", checker.InvariantTransferEffect, raft.Bugs{TransferWithoutTimeoutNow: true}},
		{"pre-candidate bumps its term", "raft+prevote", "flapping-node", checker.InvariantPreVoteEffect, raft.Bugs{PreCandidateBumpsTerm: true}},
		{"CheckQuorum never steps down", "raft+checkquorum", "leader-isolation", checker.InvariantCheckQuorumEffect, raft.Bugs{CheckQuorumNeverStepsDown: true}},
		{"snapshots never truncate", "raft+snapshot", "steady", checker.InvariantSnapshotBounded, raft.Bugs{SnapshotWithoutTruncation: true}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := Named(c.scenario)
			require.NoError(t, err)
			caught := false
			for seed := uint64(1); seed <= 3 && !caught; seed++ {
				good, err := Run(s, Options{Protocol: c.protocol, Seed: seed})
				require.NoError(t, err)
				assert.Equal(t, VerdictOK, good.Verdict, "correct %s, seed %d: %v", c.protocol, seed, good.Violations)
				bad, err := Run(s, Options{Protocol: c.protocol, Seed: seed, RaftBugs: c.bugs})
				require.NoError(t, err)
				for _, v := range bad.Violations {
					if v.Invariant == c.invariant {
						caught = true
						t.Logf("seed %d: %v", seed, v)
					}
				}
			}
			assert.True(t, caught, "%s not caught by %s in 3 seeds", c.name, c.invariant)
		})
	}
}

// TestSwarmV2DrawsTransfers: version 2 draws transfer-leader (with the old
// leader paused or isolated after some), version 1 never does; version 1's
// draws are held by TestGoldenFingerprints and the fingerprint comparison
// against main.
func TestSwarmV2DrawsTransfers(t *testing.T) {
	v1, err := Named("swarm")
	require.NoError(t, err)
	v2, err := Named("swarm-v2")
	require.NoError(t, err)
	transfers, followUps := 0, 0
	for seed := uint64(1); seed <= 30; seed++ {
		for _, f := range Draw(v1, seed).Faults {
			assert.NotEqual(t, ActTransferLeader, f.Action, "swarm v1 seed %d", seed)
		}
		played := Draw(v2, seed)
		require.NoError(t, played.Validate(), "swarm v2 seed %d", seed)
		for i, f := range played.Faults {
			if f.Action != ActTransferLeader {
				continue
			}
			transfers++
			if i+1 < len(played.Faults) && (played.Faults[i+1].Action == ActPauseLeader || played.Faults[i+1].Action == ActIsolateLeader) {
				followUps++
			}
		}
	}
	assert.Positive(t, transfers)
	assert.Positive(t, followUps)
}
