package scenarios

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCatalogEntriesAreWellFormed(t *testing.T) {
	require.NotEmpty(t, Bugs())
	for _, b := range Bugs() {
		assert.NotEmpty(t, b.Origin, b.Name)
		assert.NotEmpty(t, b.Description, b.Name)
		assert.NotEmpty(t, b.CaughtBy, b.Name)
		require.NotEmpty(t, b.Scenarios, b.Name)
		for _, name := range b.Scenarios {
			_, err := Named(name)
			assert.NoError(t, err, b.Name)
		}
		_, err := LookupProtocol(b.Protocol)
		assert.NoError(t, err, b.Name)
	}
	_, err := Run(Base(), Options{Protocol: "paxos", Bug: "raft-vote-without-log-check", Seed: 1})
	assert.ErrorContains(t, err, "breaks raft, not paxos")
	_, err = Run(Base(), Options{Protocol: "raft", Bug: "nope", Seed: 1})
	assert.ErrorContains(t, err, `unknown bug "nope"`)
}

// TestCatalogBugsAreCaught runs every catalog bug with a budget on its first
// scenario and requires a detection within the budget, by one of the
// invariants its entry names; the correct protocol must pass the same seeds.
func TestCatalogBugsAreCaught(t *testing.T) {
	for _, b := range Bugs() {
		if b.Budget == 0 {
			continue // no random budget: covered by a scripted test (see the entry)
		}
		t.Run(b.Name, func(t *testing.T) {
			s, err := Named(b.Scenarios[0])
			require.NoError(t, err)
			caught := 0
			for seed := uint64(1); seed <= uint64(b.Budget); seed++ {
				if !b.Baseline() {
					correct, err := Run(s, Options{Protocol: b.Protocol, Seed: seed})
					require.NoError(t, err)
					require.False(t, correct.Failed(), "the correct %s fails seed %d: %v", b.Protocol, seed, correct.Violations)
				}
				broken, err := Run(s, Options{Protocol: b.Protocol, Bug: b.Name, Seed: seed})
				require.NoError(t, err)
				if broken.Failed() {
					require.NotEmpty(t, broken.Violations)
					first := broken.Violations[0]
					assert.True(t, slices.Contains(b.CaughtBy, first.Invariant),
						"seed %d caught by %s, expected one of %v: %v", seed, first.Invariant, b.CaughtBy, first)
					caught = int(seed)
					break
				}
			}
			require.NotZero(t, caught, "%s not caught within %d seeds of %s", b.Name, b.Budget, b.Scenarios[0])
			t.Logf("caught at seed %d of %s", caught, b.Scenarios[0])
		})
	}
}

// TestFlexiblePaxosWithIntersectingQuorums: |Q1| + |Q2| > N is safe even
// with phase-2 quorums smaller than a majority (Flexible Paxos); the checker
// counts a value chosen by a phase-2 quorum, so it must find nothing.
func TestFlexiblePaxosWithIntersectingQuorums(t *testing.T) {
	for _, name := range []string{"steady", "crash-restart", "flapping"} {
		s, err := Named(name)
		require.NoError(t, err)
		for seed := uint64(1); seed <= 5; seed++ {
			o := Options{Protocol: "paxos", Seed: seed}
			o.PaxosBugs.Phase1Quorum, o.PaxosBugs.Phase2Quorum = 4, 2
			res, err := Run(s, o)
			require.NoError(t, err)
			assert.False(t, res.Failed(), "%s seed %d: %v", name, seed, res.Violations)
		}
	}
}
