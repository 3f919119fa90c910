package scenarios

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/consim/consim/sim"
)

// runSeeds runs a named scenario on seeds 1..seeds and requires every run
// to pass.
func runSeeds(t *testing.T, scenario, protocol string, seeds int, trace bool) []Result {
	t.Helper()
	s, err := Named(scenario)
	require.NoError(t, err)
	var out []Result
	for seed := uint64(1); seed <= uint64(seeds); seed++ {
		res, err := Run(s, Options{Protocol: protocol, Seed: seed, Trace: trace})
		require.NoError(t, err)
		require.Equal(t, VerdictOK, res.Verdict, "%s seed %d: %v", protocol, seed, res.Violations)
		require.Positive(t, res.OpsOK)
		out = append(out, res)
	}
	return out
}

func leaderChanges(results []Result) int {
	n := 0
	for _, r := range results {
		n += r.LeaderChanges
	}
	return n
}

// TestFlappingNodeDeposesLeadersWithoutPreVote: each return of the cut-off
// node deposes the leader, unless PreVote kept its term down.
func TestFlappingNodeDeposesLeadersWithoutPreVote(t *testing.T) {
	const seeds = 5
	plain := leaderChanges(runSeeds(t, "flapping-node", "raft", seeds, false))
	prevote := leaderChanges(runSeeds(t, "flapping-node", "raft+prevote", seeds, false))
	t.Logf("leader changes in %d runs: raft %d, raft+prevote %d", seeds, plain, prevote)
	assert.GreaterOrEqual(t, plain, 3*seeds, "n5's returns depose leaders")
	assert.LessOrEqual(t, prevote, 2*seeds, "with PreVote the first leader mostly stays")
}

// TestLeaderTransferMovesLeadership: the transfers change the leader many
// times, for our Raft and etcd's, and the runs stay correct.
func TestLeaderTransferMovesLeadership(t *testing.T) {
	for _, protocol := range []string{"raft", "etcd"} {
		t.Run(protocol, func(t *testing.T) {
			const seeds = 3
			changes := leaderChanges(runSeeds(t, "leader-transfer", protocol, seeds, false))
			assert.GreaterOrEqual(t, changes, 5*seeds, "12 transfers a run")
		})
	}
}

// TestLeaseDriftCutsOffTheSlowLeader: the transfers make n1, whose clock is
// slow, the leader that each isolation cuts off.
func TestLeaseDriftCutsOffTheSlowLeader(t *testing.T) {
	for _, res := range runSeeds(t, "lease-drift", "raft", 3, true) {
		isolated := 0
		for _, r := range res.Trace {
			if r.Kind == sim.KindFault && strings.HasPrefix(r.Detail, "isolate-leader") {
				assert.Contains(t, r.Detail, "[[n1] ", "seed %d at %v", res.Seed, r.At)
				isolated++
			}
		}
		assert.Equal(t, 3, isolated, "seed %d", res.Seed)
	}
}

// TestSnapshotCatchupOutrunsTheLog: while n5 is down, more entries commit
// than two snapshots cover, so a compacting leader must send it a
// snapshot, and with the snapshot feature one is sent.
func TestSnapshotCatchupOutrunsTheLog(t *testing.T) {
	for _, res := range runSeeds(t, "snapshot-catchup", "raft", 3, true) {
		down, up := appliedAt(res, 300*time.Millisecond), appliedAt(res, 2500*time.Millisecond)
		assert.Greater(t, up-down, uint64(2*DefaultSnapshotEvery), "seed %d: entries committed while n5 was down", res.Seed)
	}
	for _, res := range runSeeds(t, "snapshot-catchup", "raft+snapshot", 3, true) {
		sent := 0
		for _, r := range res.Trace {
			if r.Kind == sim.KindSend && r.From <= 5 && r.To <= 5 && strings.Contains(strings.ToLower(r.Detail), "snapshot") {
				sent++
			}
		}
		assert.Positive(t, sent, "seed %d: a server sends a snapshot", res.Seed)
	}
}

// appliedAt is the highest index any server applied before at, from the
// trace's facts.
func appliedAt(res Result, at time.Duration) uint64 {
	var highest uint64
	for _, r := range res.Trace {
		if r.At >= at {
			break
		}
		var index uint64
		if r.Kind == sim.KindFact {
			if _, err := fmt.Sscanf(r.Detail, "applied %d", &index); err == nil {
				highest = max(highest, index)
			}
		}
	}
	return highest
}

// TestReadFailoverChangesLeaders: every crash and isolation of the leader
// elects another, under a read-heavy load.
func TestReadFailoverChangesLeaders(t *testing.T) {
	results := runSeeds(t, "read-failover", "raft+readindex", 3, false)
	assert.GreaterOrEqual(t, leaderChanges(results), 6*len(results), "six failovers a run")
}
