package scenarios

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRegressionCorpus replays the project's own corpus: every case must
// give its expected verdict (fixed bugs stay fixed, catalog bugs stay
// caught).
func TestRegressionCorpus(t *testing.T) {
	cases, err := Regress("testdata/regress")
	require.NoError(t, err)
	require.NotEmpty(t, cases)
	for _, c := range cases {
		assert.True(t, c.Passed(), "%s seed %d: expected %s, got %s: %v\nreproduce: %s",
			c.File, c.Seed, c.Expect, c.Result.Verdict, c.Result.Violations, c.Command())
	}
}

func TestRegressReportsACaseThatNoLongerHolds(t *testing.T) {
	dir := t.TempDir()
	s, _ := Named("leader-isolation")
	s.Regression = &Regression{Protocol: "paxos", Bug: "paxos-promise-omits-accepted", Seeds: []uint64{1}} // expects ok
	data, err := MarshalScenario(s)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "case.yaml"), data, 0o644))
	cases, err := Regress(dir)
	require.NoError(t, err)
	require.Len(t, cases, 1)
	assert.False(t, cases[0].Passed())
	summary := RegressSummary(cases)
	assert.Contains(t, summary, "1 cases, 1 failed")
	assert.Contains(t, summary, "--bug paxos-promise-omits-accepted --scenario-file "+filepath.Join(dir, "case.yaml")+" --seed 1")
}

func TestCorpusFilesNeedARegressionBlock(t *testing.T) {
	dir := t.TempDir()
	data, _ := MarshalScenario(Base())
	require.NoError(t, os.WriteFile(filepath.Join(dir, "plain.yaml"), data, 0o644))
	_, err := Regress(dir)
	assert.ErrorContains(t, err, "needs a regression block")
	_, err = Regress(filepath.Join(dir, "missing"))
	assert.Error(t, err)
	bad := strings.Replace(string(data), "keep_faults: false", "keep_faults: false\nregression: {protocol: zab, seeds: [1]}", 1)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "plain.yaml"), []byte(bad), 0o644))
	_, err = Regress(dir)
	assert.ErrorContains(t, err, "regression.protocol")
}
