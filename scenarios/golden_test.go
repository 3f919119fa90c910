package scenarios

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// updateGolden rewrites testdata/fingerprints.tsv from the current binary:
// go test ./scenarios -run TestGoldenFingerprints -update-fingerprints
var updateGolden = flag.Bool("update-fingerprints", false, "rewrite testdata/fingerprints.tsv")

// goldenFile holds the fingerprint of every named scenario x goldenProtocols
// x seeds 1..goldenSeeds. A change that alters how any of these runs plays
// (an event more or less, in another order, at another time) changes a
// fingerprint and fails TestGoldenFingerprints; a change that only adds a
// check, a scenario or a protocol leaves the file as it is. Regenerate it
// only for a change meant to alter runs, and say why in the commit.
const goldenFile = "testdata/fingerprints.tsv"

const goldenSeeds = 20

// goldenProtocols are the protocols the fingerprint file covers: every base
// protocol and the Raft feature sets that switch each feature's code on.
var goldenProtocols = []string{
	"raft", "raft+prevote", "raft+checkquorum", "raft+readindex", "raft+checkquorum+readindex+lease",
	"raft+snapshot", allRaftFeatures, "paxos", "etcd", "primary-backup",
}

// goldenScenarios are the named scenarios the fingerprint file covers: those
// that existed when it was written. A scenario added later is not in it.
func goldenScenarios(t *testing.T, want map[string]string) []string {
	t.Helper()
	seen := map[string]bool{}
	for key := range want {
		seen[strings.Split(key, "\t")[1]] = true
	}
	var names []string
	for _, name := range Names() {
		if seen[name] || *updateGolden {
			names = append(names, name)
		}
	}
	return names
}

// TestGoldenFingerprints replays every run of the fingerprint file and
// requires the same fingerprint: runs play exactly as they did when the file
// was written, whatever checks, scenarios or protocols were added since.
// Every run of a consensus protocol (not a baseline) must also pass every
// check, the checks added since included.
func TestGoldenFingerprints(t *testing.T) {
	want := readGolden(t)
	if !*updateGolden {
		require.NotEmpty(t, want, "%s is empty", goldenFile)
		for _, name := range goldenScenarios(t, want) {
			_, err := Named(name)
			require.NoError(t, err)
		}
	}
	type job struct {
		protocol, scenario string
		seed               uint64
	}
	var jobs []job
	for _, protocol := range goldenProtocols {
		for _, name := range goldenScenarios(t, want) {
			for seed := uint64(1); seed <= goldenSeeds; seed++ {
				jobs = append(jobs, job{protocol, name, seed})
			}
		}
	}
	got := make([]string, len(jobs))
	verdicts := make([]string, len(jobs))
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				j := jobs[i]
				s, err := Named(j.scenario)
				if err == nil {
					var res Result
					res, err = Run(s, Options{Protocol: j.protocol, Seed: j.seed})
					got[i], verdicts[i] = res.Fingerprint, res.Verdict
				}
				if err != nil {
					got[i] = "error: " + err.Error()
				}
			}
		}()
	}
	for i := range jobs {
		next <- i
	}
	close(next)
	wg.Wait()

	if *updateGolden {
		var b strings.Builder
		b.WriteString("# protocol\tscenario\tseed\tfingerprint (go test ./scenarios -run TestGoldenFingerprints -update-fingerprints)\n")
		for i, j := range jobs {
			fmt.Fprintf(&b, "%s\t%s\t%d\t%s\n", j.protocol, j.scenario, j.seed, got[i])
		}
		require.NoError(t, os.WriteFile(goldenFile, []byte(b.String()), 0o644))
		return
	}
	var changed, failed []string
	for i, j := range jobs {
		if p, _ := LookupProtocol(j.protocol); !p.Baseline && verdicts[i] != VerdictOK {
			failed = append(failed, fmt.Sprintf("%s %s seed %d: verdict %s", j.protocol, j.scenario, j.seed, verdicts[i]))
		}
		key := fmt.Sprintf("%s\t%s\t%d", j.protocol, j.scenario, j.seed)
		if w, ok := want[key]; !ok {
			changed = append(changed, key+": not in "+goldenFile)
		} else if got[i] != w {
			changed = append(changed, fmt.Sprintf("%s: fingerprint %s, was %s", key, got[i], w))
		}
	}
	assert.Empty(t, failed, "a consensus protocol's run failed")
	assert.Len(t, jobs, len(want), "every run of %s is replayed", goldenFile)
	if len(changed) > 0 {
		slices.Sort(changed)
		t.Errorf("%d of %d runs play differently from %s (first %d):\n%s", len(changed), len(jobs), goldenFile,
			min(len(changed), 20), strings.Join(changed[:min(len(changed), 20)], "\n"))
	}
}

// readGolden reads the fingerprint file: protocol, scenario, seed -> fingerprint.
func readGolden(t *testing.T) map[string]string {
	t.Helper()
	want := map[string]string{}
	f, err := os.Open(goldenFile)
	if os.IsNotExist(err) && *updateGolden {
		return want
	}
	require.NoError(t, err)
	defer f.Close()
	lines := bufio.NewScanner(f)
	for n := 1; lines.Scan(); n++ {
		line := lines.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Split(line, "\t")
		require.Len(t, fields, 4, "%s:%d: want protocol, scenario, seed, fingerprint", goldenFile, n)
		want[strings.Join(fields[:3], "\t")] = fields[3]
	}
	require.NoError(t, lines.Err())
	return want
}
