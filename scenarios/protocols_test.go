package scenarios

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/consim/consim/checker"
	"github.com/consim/consim/nodes"
	"github.com/consim/consim/nodes/raft"
)

func TestLookupProtocolWithFeatures(t *testing.T) {
	tests := []struct {
		name      string
		canonical string
		on        []string
		err       string
	}{
		{"raft", "raft", nil, ""},
		{"raft+prevote", "raft+prevote", []string{"prevote"}, ""},
		{"raft+checkquorum+prevote", "raft+prevote+checkquorum", []string{"prevote", "checkquorum"}, ""},
		{"raft+snapshot+readindex", "raft+readindex+snapshot", []string{"readindex", "snapshot"}, ""},
		{"raft+snapshot+prevote+checkquorum+readindex", "raft+prevote+checkquorum+readindex+snapshot",
			[]string{"prevote", "checkquorum", "readindex", "snapshot"}, ""},
		{"raft+foo", "", nil, `protocol "raft+foo": unknown feature "foo" of raft (known: prevote, checkquorum, readindex, lease, snapshot)`},
		{"raft+PreVote", "", nil, `unknown feature "PreVote" of raft`},
		{"raft+prevote+prevote", "", nil, `protocol "raft+prevote+prevote": feature prevote given twice`},
		{"raft+", "", nil, `protocol "raft+": an empty feature name`},
		{"raft++prevote", "", nil, "an empty feature name"},
		{"paxos+prevote", "", nil, `protocol "paxos+prevote": paxos has no optional features (only raft has: prevote, checkquorum, readindex, lease, snapshot)`},
		{"etcd+checkquorum", "", nil, "etcd has no optional features"},
		{"primary-backup+snapshot", "", nil, "primary-backup has no optional features"},
		{"zab+prevote", "", nil, `unknown protocol "zab" (known: raft, paxos, etcd, primary-backup; raft also takes features`},
		{"+prevote", "", nil, `unknown protocol ""`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := LookupProtocol(tt.name)
			if tt.err != "" {
				assert.ErrorContains(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.canonical, p.Name)
			assert.Equal(t, tt.on, p.On)
			again, err := LookupProtocol(p.Name)
			require.NoError(t, err)
			assert.Equal(t, p.Name, again.Name, "a canonical name is its own canonical name")
		})
	}
}

// TestFeaturesConfigureRaft: each feature switches on its raft.Config
// field and nothing else.
func TestFeaturesConfigureRaft(t *testing.T) {
	base := raft.DefaultConfig()
	tests := []struct {
		feature string
		want    func(c *raft.Config)
	}{
		{"prevote", func(c *raft.Config) { c.PreVote = true }},
		{"checkquorum", func(c *raft.Config) { c.CheckQuorum = true }},
		{"readindex", func(c *raft.Config) { c.ReadIndex = true }},
		{"lease", func(c *raft.Config) { c.LeaseReads = true }}, // LeaseDuration 0: the safe default
		{"snapshot", func(c *raft.Config) { c.SnapshotEvery = DefaultSnapshotEvery }},
	}
	require.Len(t, tests, len(raftFeatures), "a test per feature")
	for _, tt := range tests {
		t.Run(tt.feature, func(t *testing.T) {
			i := slices.IndexFunc(raftFeatures, func(f Feature) bool { return f.Name == tt.feature })
			require.GreaterOrEqual(t, i, 0)
			want := base
			tt.want(&want)
			assert.NotEqual(t, base, want)
			assert.Equal(t, want, raftConfig(raftFeatures[i:i+1], Options{}))
		})
	}
	assert.Equal(t, base, raftConfig(nil, Options{}), "no feature: the defaults")
	assert.Equal(t, raft.Bugs{VoteWithoutLogCheck: true},
		raftConfig(raftFeatures, Options{RaftBugs: raft.Bugs{VoteWithoutLogCheck: true}}).Bugs, "bugs compose with features")
}

// TestBadFeatureCombinationIsALookupError: what raft.Config.Validate
// rejects is an error of LookupProtocol, before any run.
func TestBadFeatureCombinationIsALookupError(t *testing.T) {
	saved := protocols[0].Features
	defer func() { protocols[0].Features = saved }()
	protocols[0].Features = append(slices.Clone(saved), Feature{Name: "broken", raft: func(c *raft.Config) { c.HeartbeatInterval = 0 }})
	_, err := LookupProtocol("raft+prevote+broken")
	assert.ErrorContains(t, err, `protocol "raft+prevote+broken": raft config: HeartbeatInterval must be positive`)

	// Leases need checkquorum and readindex: whatever raft.Config.Validate
	// says of a lease alone, LookupProtocol says too.
	protocols[0].Features = saved
	cfg := raft.DefaultConfig()
	cfg.LeaseReads = true
	_, err = LookupProtocol("raft+lease")
	if want := cfg.Validate(); want != nil {
		assert.ErrorContains(t, err, want.Error())
	} else {
		assert.NoError(t, err)
	}
}

// TestCatalogProtocolsAreCanonical: reports group a bug's runs with the
// correct protocol's under the canonical name, so the catalog must use it.
func TestCatalogProtocolsAreCanonical(t *testing.T) {
	for _, b := range Bugs() {
		p, err := LookupProtocol(b.Protocol)
		require.NoError(t, err, b.Name)
		assert.Equal(t, p.Name, b.Protocol, "%s: write the features in the order simrun list gives", b.Name)
	}
}

func TestProtocolRankOrdersBasesThenFeatures(t *testing.T) {
	ordered := []string{"raft", "raft+prevote", "raft+checkquorum", "raft+prevote+checkquorum", "raft+snapshot", "paxos", "etcd", "primary-backup", "zab"}
	for i := 1; i < len(ordered); i++ {
		assert.Less(t, ProtocolRank(ordered[i-1]), ProtocolRank(ordered[i]), "%s before %s", ordered[i-1], ordered[i])
	}
	assert.Equal(t, ProtocolRank("raft+prevote+checkquorum"), ProtocolRank("raft+checkquorum+prevote"), "one protocol, two spellings")
}

func TestBugRunsOnItsProtocolWithMoreFeatures(t *testing.T) {
	raftBug := Bug{Name: "b", Protocol: "raft"}
	leaseBug := Bug{Name: "l", Protocol: "raft+checkquorum+readindex+lease"}
	tests := []struct {
		bug      Bug
		protocol string
		err      string
	}{
		{raftBug, "raft", ""},
		{raftBug, "raft+prevote", ""},
		{raftBug, "paxos", `bug "b" breaks raft, not paxos (run it with --protocol raft)`},
		{raftBug, "etcd", "breaks raft, not etcd"},
		{leaseBug, "raft+readindex+lease+checkquorum", ""},
		{leaseBug, "raft+prevote+checkquorum+readindex+lease+snapshot", ""},
		{leaseBug, "raft", `bug "l" breaks raft+checkquorum+readindex+lease, not raft (run it with --protocol raft+checkquorum+readindex+lease)`},
		{leaseBug, "raft+checkquorum+readindex", "breaks raft+checkquorum+readindex+lease, not raft+checkquorum+readindex"},
		{raftBug, "raft+nope", `unknown feature "nope"`},
	}
	for _, tt := range tests {
		t.Run(tt.bug.Protocol+" on "+tt.protocol, func(t *testing.T) {
			err := tt.bug.RunsOn(tt.protocol)
			if tt.err == "" {
				assert.NoError(t, err)
			} else {
				assert.ErrorContains(t, err, tt.err)
			}
		})
	}
}

// TestRunReportsTheCanonicalName: a result, and the command that
// reproduces it, carry the canonical name whatever the spelling.
func TestRunReportsTheCanonicalName(t *testing.T) {
	s := Base()
	s.Name, s.Duration, s.LivenessWindow = "short", 2*time.Second, 500*time.Millisecond
	res, err := Run(s, Options{Protocol: "raft+checkquorum+prevote", Seed: 1})
	require.NoError(t, err)
	assert.Equal(t, "raft+prevote+checkquorum", res.Protocol)
	assert.Equal(t, "simrun run --protocol raft+prevote+checkquorum --scenario short --seed 1", res.ReproduceCommand())
	assert.Equal(t, VerdictOK, res.Verdict, "%v", res.Violations)

	_, err = Run(s, Options{Protocol: "raft+checkquorum+prevote", Bug: "paxos-promise-omits-accepted", Seed: 1})
	assert.ErrorContains(t, err, "breaks paxos, not raft+prevote+checkquorum")
}

func TestMaxClockDrift(t *testing.T) {
	drift := func(factor float64) Fault { return Fault{At: time.Second, Action: ActDrift, Node: 1, Factor: factor} }
	tests := []struct {
		name   string
		faults []Fault
		want   float64
	}{
		{"no faults", nil, 1},
		{"no drift", []Fault{{At: time.Second, Action: ActCrash, Node: 2}}, 1},
		{"fast", []Fault{drift(3)}, 3},
		{"slow", []Fault{drift(0.25)}, 4},
		{"the larger of fast and slow", []Fault{drift(3), drift(0.5)}, 3},
		{"slow beats fast", []Fault{drift(2), drift(0.2)}, 5},
		{"drift back to 1", []Fault{drift(1)}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.InDelta(t, tt.want, maxClockDrift(tt.faults), 1e-9)
		})
	}
}

// TestRunPassesTheScenarioDriftToTheServers: the drift of a scenario's
// faults, swarm draws included, reaches the protocol's options, and raft's
// configuration.
func TestRunPassesTheScenarioDriftToTheServers(t *testing.T) {
	var seen []float64
	protocols = append(protocols, Protocol{
		Name:     "test-drift",
		Baseline: true,
		NewServer: func(o Options) (func() nodes.Node, error) {
			seen = append(seen, o.maxClockDrift)
			return func() nodes.Node { return &gossip{} }, nil
		},
		Checkers: func([]nodes.ID, Options) []checker.Online { return nil },
	})
	defer func() {
		protocols = slices.DeleteFunc(protocols, func(p Protocol) bool { return p.Name == "test-drift" })
	}()
	run := func(s Scenario, seed uint64) float64 {
		t.Helper()
		s.Clients, s.Duration, s.LivenessWindow = 0, 2*time.Second, 500*time.Millisecond
		s.Faults = slices.DeleteFunc(slices.Clone(s.Faults), func(f Fault) bool { return f.At >= s.FaultsEnd() })
		seen = nil
		_, err := Run(s, Options{Protocol: "test-drift", Seed: seed})
		require.NoError(t, err)
		require.Len(t, seen, 1)
		return seen[0]
	}
	steady, _ := Named("steady")
	assert.Equal(t, 1.0, run(steady, 1))
	clock, _ := Named("clock-drift")
	assert.Equal(t, 3.0, run(clock, 1), "n1 at 3x, n2 at 0.5x")

	swarm, _ := Named("swarm")
	swarm.Duration, swarm.LivenessWindow = 2*time.Second, 500*time.Millisecond
	drifted := 0
	for seed := uint64(1); seed <= 30; seed++ {
		want := maxClockDrift(Draw(swarm, seed).Faults)
		if want > 1 {
			drifted++
		}
		assert.Equal(t, want, run(swarm, seed), "swarm seed %d", seed)
	}
	assert.Positive(t, drifted, "some swarm seeds draw drift")

	assert.Equal(t, 4.0, raftConfig(nil, Options{maxClockDrift: 4}).MaxClockDrift)
}

// TestRegressionFilesNameFeatures: a regression case may name a protocol
// with features, in any order, and replays on it.
func TestRegressionFilesNameFeatures(t *testing.T) {
	file := func(protocol, bug string) []byte {
		text := "name: r\nduration: 2s\nliveness_window: 500ms\nregression:\n  protocol: " + protocol + "\n"
		if bug != "" {
			text += "  bug: " + bug + "\n"
		}
		return []byte(text + "  seeds: [1]\n")
	}
	tests := []struct {
		protocol, bug string
		err           string
	}{
		{"raft+checkquorum+prevote", "", ""},
		{"raft+prevote", "raft-vote-without-log-check", ""},
		{"raft+nope", "", `r.yaml:5:3: regression.protocol: protocol "raft+nope": unknown feature "nope" of raft`},
		{"paxos+prevote", "", "regression.protocol: protocol \"paxos+prevote\": paxos has no optional features"},
		{"raft+prevote", "paxos-promise-omits-accepted", `regression.bug: bug "paxos-promise-omits-accepted" breaks paxos, not raft+prevote`},
	}
	for _, tt := range tests {
		t.Run(tt.protocol+" "+tt.bug, func(t *testing.T) {
			s, err := ParseScenario("r.yaml", file(tt.protocol, tt.bug))
			if tt.err != "" {
				assert.ErrorContains(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.protocol, s.Regression.Protocol, "the file keeps the spelling it was given")
		})
	}

	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "r.yaml"), file("raft+checkquorum+prevote", ""), 0o644))
	cases, err := Regress(dir)
	require.NoError(t, err)
	require.Len(t, cases, 1)
	assert.True(t, cases[0].Passed(), "%+v", cases[0].Result.Violations)
	assert.Equal(t, "raft+prevote+checkquorum", cases[0].Result.Protocol)
	assert.Contains(t, cases[0].Command(), "simrun run --protocol raft+prevote+checkquorum --scenario-file ")
}
