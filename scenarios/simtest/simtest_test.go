package simtest_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/consim/consim/scenarios/simtest"
)

// TestRaftSurvivesPartitions is what a user's own test looks like: a sweep
// of seeds over the scenarios they care about, failing with the reproduce
// command and the artifacts of any failing seed.
func TestRaftSurvivesPartitions(t *testing.T) {
	simtest.Run(t, simtest.Sweep{
		Protocol:  "raft",
		Scenarios: []string{"majority-partition", "flapping", "crash-restart"},
		Seeds:     5,
	})
}

// TestCheckersCatchTheBrokenAcceptor turns the sweep around: with a catalog
// bug on, every scenario must fail on some seed, and the artifacts of the
// failures are written where asked.
func TestCheckersCatchTheBrokenAcceptor(t *testing.T) {
	dir := t.TempDir()
	results := simtest.Run(t, simtest.Sweep{
		Protocol:     "paxos",
		Bug:          "paxos-promise-omits-accepted",
		Scenarios:    []string{"leader-isolation"},
		Seeds:        2,
		ArtifactsDir: dir,
	})
	require.Len(t, results, 2)
	assert.True(t, results[0].Failed())
	folders, err := filepath.Glob(filepath.Join(dir, "*", "README.txt"))
	require.NoError(t, err)
	assert.NotEmpty(t, folders)
	readme, err := os.ReadFile(folders[0])
	require.NoError(t, err)
	assert.Contains(t, string(readme), "simrun run --protocol paxos --bug paxos-promise-omits-accepted")
}
