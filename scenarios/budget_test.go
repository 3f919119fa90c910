package scenarios

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/consim/consim/checker"
)

// TestBudgetStopsARunWithItsOwnVerdict: a run that outgrows its budget
// stops at the same event every time, with the verdict budget (not ok, not
// a protocol failure) and a violation that says what was counted and how
// to raise the budget.
func TestBudgetStopsARunWithItsOwnVerdict(t *testing.T) {
	s := Base()
	s.Name, s.Duration = "long", time.Minute
	o := Options{Protocol: "raft", Seed: 3, MemoryBudget: MinMemoryBudget}
	first, err := Run(s, o)
	require.NoError(t, err)
	again, err := Run(s, o)
	require.NoError(t, err)

	assert.Equal(t, string(checker.ClassBudget), first.Verdict)
	assert.True(t, first.Failed(), "a budget stop is never a pass")
	assert.Equal(t, "memory budget", first.Stop)
	assert.Less(t, first.SimTime, s.Duration)
	require.Len(t, first.Violations, 1)
	v := first.Violations[0]
	assert.Equal(t, checker.InvariantMemoryBudget, v.Invariant)
	assert.Equal(t, uint64(3), v.Seed)
	assert.Contains(t, v.Detail, "the run reached its memory budget of 16MiB")
	assert.Contains(t, v.Detail, "--max-memory")
	assert.Greater(t, first.MemoryEstimate, uint64(MinMemoryBudget))
	assert.Equal(t, first.Fingerprint, again.Fingerprint, "deterministic")
	assert.Equal(t, first.Events, again.Events)
	assert.Contains(t, first.ReproduceCommand(), "--max-memory 16MiB")
}

// TestBudgetUnderItChangesNoRun: runs that stay within their budget are
// the runs without one, for every protocol on scenarios with crashes,
// pauses and loss (the golden fingerprints hold the named scenarios).
func TestBudgetUnderItChangesNoRun(t *testing.T) {
	for _, name := range []string{"crash-restart", "pause-leader", "lossy"} {
		for _, protocol := range []string{"raft", "paxos"} {
			s, err := Named(name)
			require.NoError(t, err)
			small, err := Run(s, Options{Protocol: protocol, Seed: 5, MemoryBudget: 64 << 20, Trace: true})
			require.NoError(t, err)
			huge, err := Run(s, Options{Protocol: protocol, Seed: 5, MemoryBudget: 1 << 40})
			require.NoError(t, err)
			assert.Equal(t, huge.Fingerprint, small.Fingerprint, "%s %s", protocol, name)
			assert.Equal(t, VerdictOK, small.Verdict)
			assert.False(t, small.TraceTruncated)
			assert.Less(t, small.MemoryEstimate, uint64(DefaultMemoryBudget/20), "a named scenario uses a twentieth of the default budget or less")
		}
	}
}
