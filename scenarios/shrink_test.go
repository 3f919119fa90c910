package scenarios

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestShrinkBrokenPaxosSwarmSeed shrinks a failing swarm seed of a broken
// acceptor to at most 5 fault actions; the shrunk scenario, written as a
// file and read back, still fails with the same class of violation.
func TestShrinkBrokenPaxosSwarmSeed(t *testing.T) {
	s, err := Named("swarm")
	require.NoError(t, err)
	o := Options{Protocol: "paxos", Bug: "paxos-promise-omits-accepted"}
	var seed uint64
	for seed = 1; seed <= 50; seed++ {
		o.Seed = seed
		r, err := Run(s, o)
		require.NoError(t, err)
		if r.Failed() && len(Draw(s, seed).Faults) > 5 {
			break
		}
	}
	require.LessOrEqual(t, seed, uint64(50), "no failing swarm seed with more than 5 faults")

	shrunk, err := Shrink(s, o, ShrinkLimits{})
	require.NoError(t, err)
	t.Logf("seed %d: %v -> %v in %d runs", seed, shrunk.Before, shrunk.After, shrunk.Runs)
	assert.LessOrEqual(t, shrunk.After.Faults, 5)
	assert.Less(t, shrunk.After.Faults, shrunk.Before.Faults)
	assert.False(t, shrunk.Scenario.Swarm)

	data, err := MarshalScenario(shrunk.Scenario)
	require.NoError(t, err)
	back, err := ParseScenario("shrunk.yaml", data)
	require.NoError(t, err)
	again, err := Run(back, o)
	require.NoError(t, err)
	assert.Equal(t, shrunk.Verdict, again.Verdict)
	assert.Equal(t, shrunk.Result.Fingerprint, again.Fingerprint)

	// Deterministic: the same input shrinks to the same output.
	twice, err := Shrink(s, o, ShrinkLimits{})
	require.NoError(t, err)
	assert.Equal(t, shrunk.Scenario, twice.Scenario)
}

func TestShrinkRefusesAPassingRun(t *testing.T) {
	s, _ := Named("steady")
	_, err := Shrink(s, Options{Protocol: "raft", Seed: 1}, ShrinkLimits{})
	assert.ErrorContains(t, err, "does not fail")
}
