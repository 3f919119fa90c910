package etcdraft_test

import (
	"fmt"
	"runtime"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/consim/consim/scenarios"
)

// etcdFingerprints runs the scenarios for seeds 1..seeds on `workers`
// goroutines under GOMAXPROCS procs, and returns fingerprint and verdict by
// run.
func etcdFingerprints(t *testing.T, names []string, seeds, workers, procs int) map[string]string {
	t.Helper()
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
	type job struct {
		scenario string
		seed     uint64
	}
	jobs := make(chan job)
	var mu sync.Mutex
	out := map[string]string{}
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for j := range jobs {
				s, err := scenarios.Named(j.scenario)
				var res scenarios.Result
				if err == nil {
					res, err = scenarios.Run(s, scenarios.Options{Protocol: "etcd", Seed: j.seed})
				}
				mu.Lock()
				if err != nil {
					t.Errorf("%s seed %d: %v", j.scenario, j.seed, err)
				} else {
					out[fmt.Sprintf("%s/%d", j.scenario, j.seed)] = res.Fingerprint + " " + res.Verdict
				}
				mu.Unlock()
			}
		})
	}
	for _, name := range names {
		for seed := 1; seed <= seeds; seed++ {
			jobs <- job{name, uint64(seed)}
		}
	}
	close(jobs)
	wg.Wait()
	return out
}

// TestEtcdDeterminism runs 3 scenarios x 10 seeds of etcd twice, once with
// GOMAXPROCS 1 and one goroutine, once with GOMAXPROCS 2 and two parallel
// goroutines (so two etcd Worlds draw election timeouts concurrently), and
// requires identical fingerprints and verdicts, all ok.
func TestEtcdDeterminism(t *testing.T) {
	names := []string{"crash-restart", "flapping", "swarm"}
	first := etcdFingerprints(t, names, 10, 1, 1)
	second := etcdFingerprints(t, names, 10, 2, 2)
	require.Len(t, first, 30)
	assert.Equal(t, first, second)
	for run, fp := range first {
		assert.Contains(t, fp, " ok", "run %s", run)
	}
}

// TestEtcdCheckDeterminism compares two traces of one seed event by event.
func TestEtcdCheckDeterminism(t *testing.T) {
	s, err := scenarios.Named("leader-isolation")
	require.NoError(t, err)
	d, err := scenarios.CheckDeterminism(s, scenarios.Options{Protocol: "etcd", Seed: 3})
	require.NoError(t, err)
	assert.Nil(t, d)
}

// TestEtcdSweep is the etcd adapter through the whole runner: every named
// scenario, a few seeds, no violation.
func TestEtcdSweep(t *testing.T) {
	seeds := 3
	if testing.Short() {
		seeds = 1
	}
	for _, name := range scenarios.Names() {
		s, err := scenarios.Named(name)
		require.NoError(t, err)
		for seed := 1; seed <= seeds; seed++ {
			res, err := scenarios.Run(s, scenarios.Options{Protocol: "etcd", Seed: uint64(seed)})
			require.NoError(t, err)
			assert.False(t, res.Failed(), "%s seed %d: %v", name, seed, res.Violations)
			assert.Positive(t, res.OpsOK, "%s seed %d", name, seed)
		}
	}
}
