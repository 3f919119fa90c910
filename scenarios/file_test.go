package scenarios

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/consim/consim/network"
	"github.com/consim/consim/nodes"
	"github.com/consim/consim/nodes/client"
)

func TestEveryNamedScenarioRoundTripsThroughAFile(t *testing.T) {
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			s, err := Named(name)
			require.NoError(t, err)
			data, err := MarshalScenario(s)
			require.NoError(t, err)
			assert.True(t, strings.HasPrefix(string(data), "# "+s.Description+"\n"), "the file starts with the description:\n%s", data)
			back, err := ParseScenario(name+".yaml", data)
			require.NoError(t, err, "%s", data)
			assert.Equal(t, s, back)
		})
	}
}

// fullScenario sets every field of a Scenario, and every field of a fault
// in some fault.
func fullScenario() Scenario {
	ms := time.Millisecond
	return Scenario{
		Name:        "full",
		Description: "every field set,\non two lines: with a colon",
		Servers:     5,
		Clients:     4,
		Network: network.Config{
			LatencyMin: ms, LatencyTailMean: 2 * ms, DropRate: 0.01, DuplicateRate: 0.02, ReorderRate: 0.03, ReorderDelayMax: 5 * ms,
			Links: []network.Link{{From: 1, To: 9, LatencyMin: 3 * ms, LatencyTailMean: 4 * ms, DropRate: 0.5, DuplicateRate: 0.25, ReorderRate: 1, ReorderDelayMax: 7 * ms}},
		},
		Workload: client.Config{
			Keys: 7, KeyDistribution: "zipfian", ZipfExponent: 1.5, Mix: client.Mix{Get: 1, Put: 2, Append: 3, CAS: 4},
			ThinkTimeMean: ms, Timeout: 2 * ms, Backoff: 3 * ms, Burst: 5 * ms, Idle: 6 * ms,
		},
		Faults: []Fault{
			{At: 100 * ms, Action: ActPartition, Groups: [][]nodes.ID{{1, 2}, {3, 4, 5}}},
			{At: 200 * ms, Action: ActHeal},
			{At: 300 * ms, Action: ActClog, From: 1, To: 3, Delay: 10 * ms},
			{At: 400 * ms, Action: ActHeal},
			{At: 500 * ms, Action: ActCrash, Nodes: []nodes.ID{2, 3}, Disk: DiskTorn},
			{At: 600 * ms, Action: ActRestart, Node: 2},
			{At: 700 * ms, Action: ActPause, Node: 4, Duration: 1500 * time.Microsecond},
			{At: 800 * ms, Action: ActDrift, Node: 5, Factor: 0.1},
			{At: 900 * ms, Action: ActTransferLeader, Node: 3},
			{At: 950 * ms, Action: ActTransferLeader},
			{At: 960 * ms, Action: ActCut, From: 1, To: 2, Keep: true},
		},
		Swarm:          true,
		SwarmVersion:   2,
		Duration:       10 * time.Second,
		LivenessWindow: 2 * time.Second,
		KeepFaults:     true,
		Regression:     &Regression{Protocol: "paxos", Bug: "paxos-promise-omits-accepted", Seeds: []uint64{1, 7, 1 << 40}, Expect: "safety"},
	}
}

// unset lists the fields of the struct v that are zero, looking into
// nested structs, and into lists of structs for a field that no item sets.
func unset(v reflect.Value, path string) []string {
	var out []string
	for i := range v.NumField() {
		f, name := v.Field(i), path+"."+v.Type().Field(i).Name
		switch {
		case f.Kind() == reflect.Struct:
			out = append(out, unset(f, name)...)
		case f.Kind() == reflect.Slice && f.Type().Elem().Kind() == reflect.Struct && f.Len() > 0:
			count := map[string]int{}
			for j := range f.Len() {
				for _, u := range unset(f.Index(j), name) {
					count[u]++
				}
			}
			for u, n := range count {
				if n == f.Len() {
					out = append(out, u)
				}
			}
		case f.IsZero():
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// TestEveryFieldRoundTrips guards the file format against a field added to
// Scenario (or Fault, network.Config, client.Config) but not to file.go:
// fullScenario must set it, and then the round trip must carry it.
func TestEveryFieldRoundTrips(t *testing.T) {
	s := fullScenario()
	require.Empty(t, unset(reflect.ValueOf(s), "Scenario"), "fullScenario must set every field; add the new field to file.go too")
	require.NoError(t, s.Validate())
	data, err := MarshalScenario(s)
	require.NoError(t, err)
	back, err := ParseScenario("full.yaml", data)
	require.NoError(t, err, "%s", data)
	assert.Equal(t, s, back)
	assert.Contains(t, string(data), "  - {at: 800ms, action: drift, node: 5, factor: 0.1}\n", "a fault is one line with the fields its action uses:\n%s", data)
}

func TestAShortFileTakesTheBaseValues(t *testing.T) {
	s, err := LoadScenario("testdata/good/short.yaml")
	require.NoError(t, err)
	want := Base()
	want.Name = "lossy-isolation"
	want.Network.DropRate = 0.05
	want.Faults = []Fault{{At: time.Second, Action: ActIsolateLeader}, {At: 3 * time.Second, Action: ActHeal}}
	assert.Equal(t, want, s)
}

func TestAnchorsAndPartialMixes(t *testing.T) {
	s, err := LoadScenario("testdata/good/anchors.yaml")
	require.NoError(t, err)
	require.Len(t, s.Faults, 6)
	assert.Equal(t, [][]nodes.ID{{1}, {2, 3}}, s.Faults[0].Groups)
	assert.Equal(t, s.Faults[0].Groups, s.Faults[2].Groups)
	assert.Equal(t, client.Mix{Get: 1, Put: 1}, s.Workload.Mix, "a mix is replaced whole: the weights left out are zero")
	assert.Equal(t, Base().Workload.Timeout, s.Workload.Timeout, "the workload fields left out keep their base values")
	assert.Equal(t, DiskTorn, s.Faults[4].Disk)
}

func TestNullAndEmptyNameTakeDefaults(t *testing.T) {
	s, err := ParseScenario("dir/my-test.yaml", []byte("name:\nnetwork:\nfaults:\n"))
	require.NoError(t, err)
	want := Base()
	want.Name = "my-test"
	assert.Equal(t, want, s)
}

func TestSeveralErrorsComeInFileOrder(t *testing.T) {
	_, err := ParseScenario("x.yaml", []byte("name: x\nswarm: 1\nservers: true\nbogus: 3\n"))
	require.Error(t, err)
	assert.Equal(t, []string{
		"x.yaml:2:8: swarm: want true or false, got the integer 1",
		"x.yaml:3:10: servers: want an integer, got true",
		"x.yaml:4:1: bogus: unknown field; known fields: name, description, servers, clients, network, workload, faults, swarm, swarm_version, duration, liveness_window, keep_faults, regression",
	}, strings.Split(err.Error(), "\n"))
}

// badFiles are the malformed files in testdata/bad: where each error is and
// what it says.
var badFiles = []struct {
	file  string
	line  int
	field string
	want  string
}{
	{"empty.yaml", 1, "", "the file is empty"},
	{"only-comments.yaml", 1, "", "the file is empty"},
	{"two-documents.yaml", 2, "", "a second YAML document starts here"},
	{"not-a-mapping.yaml", 1, "", "want a mapping of fields, got a list"},
	{"syntax-indentation.yaml", 3, "", "syntax error: mapping values are not allowed in this context"},
	{"control-character.yaml", 3, "", "syntax error: control characters are not allowed"},
	{"unknown-field.yaml", 2, "sevrers", "unknown field (did you mean servers?); known fields: name,"},
	{"unknown-network-field.yaml", 4, "network.drop", "unknown field; known fields: latency_min, latency_tail_mean, drop_rate"},
	{"unknown-fault-field.yaml", 3, "faults[0].nod", "unknown field (did you mean node?); known fields: at, action, node"},
	{"duplicate-field.yaml", 3, "name", "set twice (first at line 1)"},
	{"bad-duration.yaml", 2, "duration", `want a duration with a unit (ns, us, ms, s, m, h) such as 1.5s or 200ms, got "6"`},
	{"bad-fault-at.yaml", 3, "faults[0].at", `want a duration with a unit (ns, us, ms, s, m, h) such as 1.5s or 200ms, got "1.5"`},
	{"wrong-type-servers.yaml", 2, "servers", `want an integer, got the string "five"`},
	{"wrong-type-faults.yaml", 3, "faults", "want a list of faults, got a mapping"},
	{"wrong-type-swarm.yaml", 2, "swarm", `want true or false, got the string "yes"`},
	{"wrong-type-mix.yaml", 3, "workload.mix", "want a mapping of fields, got a list"},
	{"node-outside.yaml", 5, "faults[1].node", "node 9 is outside the cluster 1..5"},
	{"group-outside.yaml", 6, "faults[0].groups", "node 7 is outside the cluster 1..5"},
	{"link-outside.yaml", 7, "network.links[0].to", "node 42 is outside 0..5"},
	{"heal-without-partition.yaml", 3, "faults[0]", "heal at 1s, but nothing is partitioned, cut or clogged then (the first isolate-leader comes later, at 2s)"},
	{"negative-rate.yaml", 3, "network.drop_rate", "-0.1 is not a probability in [0, 1]"},
	{"rate-above-one.yaml", 4, "network.links[0].duplicate_rate", "1.5 is not a probability in [0, 1]"},
	{"nan-rate.yaml", 3, "network.reorder_rate", "want a finite number, got .nan"},
	{"unknown-action.yaml", 3, "faults[0].action", `unknown action "explode" (known: partition,`},
	{"unknown-disk.yaml", 3, "faults[0].disk", `unknown disk fault "melted" (known: torn, corrupt)`},
	{"fault-in-liveness-phase.yaml", 6, "faults[1]", "at 5s is inside the liveness phase (faults must come before 4s)"},
	{"node-on-heal.yaml", 4, "faults[1].node", "heal does not use node (only bridge, isolate, crash, restart, pause, drift, transfer-leader do)"},
	{"transfer-leader-outside.yaml", 4, "faults[1].node", "node 8 is outside the cluster 1..5"},
	{"transfer-leader-to.yaml", 3, "faults[0].to", "transfer-leader does not use to (only cut, clog do); the new leader is node"},
	{"crash-without-node.yaml", 3, "faults[0].node", "a crash needs node or nodes"},
	{"clog-without-delay.yaml", 3, "faults[0].delay", "a clog needs a positive delay, got 0s"},
	{"liveness-window-too-long.yaml", 3, "liveness_window", "2×1.5s is longer than the duration 2s"},
	{"no-servers.yaml", 2, "servers", "0, need 1..15"},
	{"unknown-key-distribution.yaml", 4, "workload.key_distribution", `"pareto", want uniform or zipfian`},
	// A negative duration is the error, not the liveness phase it leaves.
	{"negative-duration.yaml", 2, "duration", "-5s, must be positive"},
	// A client given no weights would play the default mix, which the
	// file does not show.
	{"zero-mix.yaml", 4, "workload.mix", "every weight is 0; give at least one of them a positive value (the default mix is {get: 40, put: 25, append: 25, cas: 10})"},
	{"empty-mix.yaml", 4, "workload.mix", "every weight is 0"},
	{"burst-without-idle.yaml", 4, "workload.burst", "300ms and idle: 0s, set both or neither"},
}

func TestMalformedFilesNameTheLineAndTheField(t *testing.T) {
	for _, tt := range badFiles {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("testdata", "bad", tt.file)
			s, err := LoadScenario(path)
			require.Error(t, err)
			assert.Zero(t, s)
			var fe *FileError
			require.True(t, errors.As(err, &fe), "%T: %v", err, err)
			assert.Equal(t, path, fe.File)
			assert.Equal(t, tt.line, fe.Line, "line: %v", err)
			assert.Equal(t, tt.field, fe.Field, "field: %v", err)
			assert.Contains(t, fe.Msg, tt.want)
			assert.Regexp(t, `^`+regexp.QuoteMeta(path)+`:\d+(:\d+)?: `, err.Error())
			assert.NotContains(t, err.Error(), "\n", "one error, one line")
		})
	}
}

func TestEveryBadFileIsInTheTable(t *testing.T) {
	entries, err := os.ReadDir("testdata/bad")
	require.NoError(t, err)
	var files, table []string
	for _, e := range entries {
		files = append(files, e.Name())
	}
	for _, tt := range badFiles {
		table = append(table, tt.file)
	}
	slices.Sort(table)
	assert.Equal(t, files, table)
	assert.GreaterOrEqual(t, len(files), 15)
}

// errorLine is how every line of a ParseScenario error starts.
var errorLine = regexp.MustCompile(`^fuzz\.yaml:[1-9]\d*(:\d+)?: `)

// FuzzParseScenario: ParseScenario never panics; every error line names
// the file and a line; and whatever it accepts passes Validate and comes
// back equal through MarshalScenario and ParseScenario.
func FuzzParseScenario(f *testing.F) {
	for _, name := range Names() {
		s, err := Named(name)
		require.NoError(f, err)
		data, err := MarshalScenario(s)
		require.NoError(f, err)
		f.Add(data)
	}
	full, err := MarshalScenario(fullScenario())
	require.NoError(f, err)
	f.Add(full)
	for _, dir := range []string{"testdata/good", "testdata/bad"} {
		entries, err := os.ReadDir(dir)
		require.NoError(f, err)
		for _, e := range entries {
			data, err := os.ReadFile(filepath.Join(dir, e.Name()))
			require.NoError(f, err)
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseScenario("fuzz.yaml", data)
		if err != nil {
			for _, line := range strings.Split(err.Error(), "\n") {
				require.Regexp(t, errorLine, line)
			}
			return
		}
		require.NoError(t, s.Validate())
		out, err := MarshalScenario(s)
		require.NoError(t, err)
		back, err := ParseScenario("fuzz.yaml", out)
		require.NoError(t, err, "%s", out)
		require.Equal(t, s, back, "%s", out)
	})
}

// TestAliasesCannotExplode: a few anchors can stand for billions of values;
// the decoder stops at maxValues.
func TestAliasesCannotExplode(t *testing.T) {
	var b strings.Builder
	b.WriteString("name: bomb\nfaults:\n  - &f {at: 1s, action: partition, groups: &g [&ids [")
	b.WriteString(strings.Repeat("1, ", 999) + "1]")
	b.WriteString(strings.Repeat(", *ids", 999) + "]}\n")
	b.WriteString(strings.Repeat("  - *f\n", 999))
	_, err := ParseScenario("bomb.yaml", []byte(b.String()))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "values once aliases are expanded")
}

// TestAwkwardValuesRoundTrip: strings YAML would misread unquoted, text a
// comment cannot hold, and extreme numbers all come back as they were.
func TestAwkwardValuesRoundTrip(t *testing.T) {
	texts := []string{
		"", " ", "\t", "\n", "a\n b", "x\r\ny", "trailing \n", " leading", "#", "# not a comment", "- x", "a: b", "'", `"`,
		"null", "~", "true", "yes", "1e3", "0x1", "---", "...", "\x7f", "\ufeff", "a\u2028b", "\u0085", "é✓", "{a}", "[1]", "&a", "*a", "!tag", "%",
		strings.Repeat("long text ", 30),
	}
	for _, text := range texts {
		s := Base()
		s.Name, s.Description, s.Clients = text+"n", text, 0
		s.Workload.KeyDistribution = text
		s.Workload.ZipfExponent = 5e-324
		s.Workload.Keys = -1 << 63
		s.Workload.ThinkTimeMean = time.Duration(-1 << 63)
		s.Workload.Timeout = time.Duration(1<<63 - 1)
		s.Workload.Mix = client.Mix{Get: -3}
		require.NoError(t, s.Validate(), "with no clients the workload is not checked")
		data, err := MarshalScenario(s)
		require.NoError(t, err)
		back, err := ParseScenario("awkward.yaml", data)
		require.NoError(t, err, "%q:\n%s", text, data)
		assert.Equal(t, s, back, "%q:\n%s", text, data)
	}
}
