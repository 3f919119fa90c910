package scenarios

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/consim/consim/checker"
	"github.com/consim/consim/nodes"
	"github.com/consim/consim/nodes/paxos"
	"github.com/consim/consim/nodes/raft"
)

func TestEveryNamedScenarioIsValid(t *testing.T) {
	for _, name := range Names() {
		s, err := Named(name)
		require.NoError(t, err)
		assert.NoError(t, s.Validate(), name)
		assert.NotEmpty(t, s.Description, name)
	}
	_, err := Named("nope")
	assert.ErrorContains(t, err, `unknown scenario "nope"`)
}

func TestValidateNamesTheField(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(s *Scenario)
		want   string
	}{
		{"servers", func(s *Scenario) { s.Servers = 0 }, "servers: 0"},
		{"negative drop", func(s *Scenario) { s.Network.DropRate = -1 }, "network.drop_rate"},
		{"keys", func(s *Scenario) { s.Workload.Keys = 0 }, "workload.keys"},
		{"timeout", func(s *Scenario) { s.Workload.Timeout = 0 }, "workload.timeout"},
		{"duration", func(s *Scenario) { s.Duration = 0 }, "duration"},
		{"window too long", func(s *Scenario) { s.LivenessWindow = s.Duration }, "liveness_window"},
		{"node outside", func(s *Scenario) { s.Faults = []Fault{{At: time.Second, Action: ActCrash, Node: 9}} }, "faults[0]: node: node 9 is outside the cluster 1..5"},
		{"fault in liveness phase", func(s *Scenario) { s.Faults = []Fault{{At: 5 * time.Second, Action: ActHeal}} }, "faults[0]: at 5s is inside the liveness phase"},
		{"unknown action", func(s *Scenario) { s.Faults = []Fault{{At: time.Second, Action: "explode"}} }, `unknown action "explode"`},
		{"one group", func(s *Scenario) {
			s.Faults = []Fault{{At: time.Second, Action: ActPartition, Groups: [][]nodes.ID{{1, 2}}}}
		}, "at least two groups"},
		{"cut to self", func(s *Scenario) { s.Faults = []Fault{{At: time.Second, Action: ActCut, From: 2, To: 2}} }, "to: from and to are both node 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Base()
			tt.mutate(&s)
			assert.ErrorContains(t, s.Validate(), tt.want)
			_, err := Run(s, Options{Protocol: "raft", Seed: 1})
			assert.ErrorContains(t, err, tt.want, "Run refuses it too")
		})
	}
}

// fingerprints runs the named scenarios for seeds 1..seeds on `workers`
// goroutines under GOMAXPROCS procs and returns "fingerprint verdict" by
// "scenario/seed".
func fingerprints(t *testing.T, protocol string, names []string, seeds, workers, procs int) map[string]string {
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
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				s, _ := Named(j.scenario)
				res, err := Run(s, Options{Protocol: protocol, Seed: j.seed})
				mu.Lock()
				if err != nil {
					t.Errorf("%s seed %d: %v", j.scenario, j.seed, err)
				} else {
					out[fmt.Sprintf("%s/%d", j.scenario, j.seed)] = res.Fingerprint + " " + res.Verdict
				}
				mu.Unlock()
			}
		}()
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

// allRaftFeatures is our Raft with every feature on.
const allRaftFeatures = "raft+prevote+checkquorum+readindex+lease+snapshot"

// TestDeterminism runs every scenario of every protocol (and our Raft with
// every feature on) for 10 seeds with GOMAXPROCS 1 and one worker, and
// requires the fingerprints TestGoldenFingerprints's file holds (written
// with GOMAXPROCS 2 and two workers, by another process); scenarios the file
// does not cover yet are run a second time with GOMAXPROCS 2 and two workers
// instead. Runs of a consensus protocol must also pass.
func TestDeterminism(t *testing.T) {
	golden := readGolden(t)
	seeds := 10
	if testing.Short() {
		seeds = 3
	}
	for _, protocol := range append(ProtocolNames(), allRaftFeatures) {
		t.Run(protocol, func(t *testing.T) {
			first := fingerprints(t, protocol, Names(), seeds, 1, 1)
			require.Len(t, first, seeds*len(Names()))
			var uncovered []string
			for _, name := range Names() {
				if _, ok := golden[fmt.Sprintf("%s\t%s\t1", protocol, name)]; !ok {
					uncovered = append(uncovered, name)
				}
			}
			second := fingerprints(t, protocol, uncovered, seeds, 2, 2)
			for run, fp := range first {
				name, seed, _ := strings.Cut(run, "/")
				fingerprint, _, _ := strings.Cut(fp, " ")
				if want, ok := golden[fmt.Sprintf("%s\t%s\t%s", protocol, name, seed)]; ok {
					assert.Equal(t, want, fingerprint, "%s %s under GOMAXPROCS 1 against %s", protocol, run, goldenFile)
				} else {
					assert.Equal(t, second[run], fp, "%s %s under GOMAXPROCS 1 and 2", protocol, run)
				}
			}
			if p, _ := LookupProtocol(protocol); !p.Baseline {
				for run, fp := range first {
					assert.Contains(t, fp, " ok", "run %s", run)
				}
			}
		})
	}
}

func TestSameSeedSameTrace(t *testing.T) {
	s, _ := Named("swarm")
	a, err := Run(s, Options{Protocol: "raft", Seed: 5, Trace: true})
	require.NoError(t, err)
	b, err := Run(s, Options{Protocol: "raft", Seed: 5, Trace: true})
	require.NoError(t, err)
	require.NotEmpty(t, a.Trace)
	assert.Equal(t, a.Trace, b.Trace)
	c, err := Run(s, Options{Protocol: "raft", Seed: 6})
	require.NoError(t, err)
	assert.NotEqual(t, a.Fingerprint, c.Fingerprint)
	assert.Equal(t, a.Fingerprint, b.Fingerprint)
}

// TestBrokenRaftIsCaught runs deliberately broken Raft variants and
// requires the checkers to catch each within a small seed budget.
func TestBrokenRaftIsCaught(t *testing.T) {
	tests := []struct {
		name     string
		bugs     raft.Bugs
		scenario string
		budget   int
	}{
		{"vote without log check", raft.Bugs{VoteWithoutLogCheck: true}, "swarm", 40},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Named(tt.scenario)
			require.NoError(t, err)
			for seed := 1; seed <= tt.budget; seed++ {
				res, err := Run(s, Options{Protocol: "raft", Seed: uint64(seed), RaftBugs: tt.bugs})
				require.NoError(t, err)
				if res.Failed() {
					require.NotEmpty(t, res.Violations)
					t.Logf("caught at seed %d: %v", seed, res.Violations[0])
					assert.NotEqual(t, "liveness", res.Verdict, "a safety bug is caught by a safety check")
					return
				}
			}
			t.Fatalf("not caught within %d seeds", tt.budget)
		})
	}
}

func TestFaultsShowInTheRun(t *testing.T) {
	s, _ := Named("crash-restart")
	res, err := Run(s, Options{Protocol: "raft", Seed: 2, Trace: true})
	require.NoError(t, err)
	crashes, restarts := 0, 0
	for _, r := range res.Trace {
		switch r.Kind.String() {
		case "crash":
			crashes++
		case "restart":
			restarts++
		}
	}
	assert.Equal(t, 2, crashes)
	assert.Equal(t, 2, restarts)
	assert.GreaterOrEqual(t, res.LeaderChanges, 3, "each crash of the leader elects a new one")
	assert.Positive(t, res.OpsOK)
}

// TestBrokenPaxosIsCaught runs deliberately broken Multi-Paxos variants and
// requires a safety or linearizability check to catch each within a small
// seed budget.
func TestBrokenPaxosIsCaught(t *testing.T) {
	tests := []struct {
		name     string
		bugs     paxos.Bugs
		scenario string
		budget   int
	}{
		{"promise omits accepted values", paxos.Bugs{PromiseOmitsAccepted: true}, "leader-isolation", 20},
		{"promise omits accepted values, swarm", paxos.Bugs{PromiseOmitsAccepted: true}, "swarm", 50},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Named(tt.scenario)
			require.NoError(t, err)
			for seed := 1; seed <= tt.budget; seed++ {
				res, err := Run(s, Options{Protocol: "paxos", Seed: uint64(seed), PaxosBugs: tt.bugs})
				require.NoError(t, err)
				if res.Failed() {
					require.NotEmpty(t, res.Violations)
					t.Logf("caught at seed %d: %v", seed, res.Violations[0])
					assert.Contains(t, []string{string(checker.ClassSafety), string(checker.ClassLinearizability)}, res.Verdict,
						"a safety bug is caught by a safety or linearizability check")
					return
				}
			}
			t.Fatalf("not caught within %d seeds", tt.budget)
		})
	}
}
