package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSweepReportLinksTheFailingRunsArtifactsRelativeToThePage(t *testing.T) {
	dir := t.TempDir()
	page := filepath.Join(dir, "out", "report.html")
	require.NoError(t, os.MkdirAll(filepath.Dir(page), 0o755))
	args := append([]string{"sweep", "--seeds", "1:2", "--workers", "2", "--artifacts", filepath.Join(dir, "art"), "--max-artifacts", "1", "--report", page}, brokenPaxos...)
	code, stdout, stderr := call(args...)
	require.Equal(t, exitViolation, code, stderr)
	raw, err := os.ReadFile(page)
	require.NoError(t, err)
	html := string(raw)
	assert.Contains(t, html, `<a class="artifacts" href="../art/`+brokenPaxosFolder+`/">`, "relative to the page")
	assert.Equal(t, 1, strings.Count(html, `class="artifacts"`), "only the runs given files link to them")
	assert.Contains(t, html, "--bug paxos-promise-omits-accepted", "reproduce commands")
	assert.Contains(t, html, `<svg class="timeline" data-scenario="leader-isolation"`)
	for _, line := range strings.Split(stdout, "\n") {
		if strings.HasPrefix(line, "verdict: ") {
			assert.Contains(t, html, line, "the page's verdict is the text report's")
		}
	}

	t.Run("an unwritable page is a usage error naming the flag", func(t *testing.T) {
		code, _, stderr := call("sweep", "--seeds", "1", "--scenario", "steady", "--report", filepath.Join(dir, "missing", "r.html"))
		assert.Equal(t, exitUsage, code)
		assert.Contains(t, stderr, "--report")
	})
}

// charts is the part of a page from the latency CDF to the table: what
// the runs' figures draw, without the sweep's wall time.
func charts(t *testing.T, path string) string {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	page := string(raw)
	start, end := strings.Index(page, `<h2 id="latency">`), strings.Index(page, `<h2 id="table">`)
	require.True(t, start >= 0 && end > start, "no charts in %s", path)
	return page[start:end]
}

func TestMergeReportDrawsTheChartsOfTheUnshardedSweep(t *testing.T) {
	dir := t.TempDir()
	common := []string{"--protocol", "raft,paxos", "--scenario", "steady,majority-partition", "--seeds", "1:4", "--workers", "2", "--artifacts="}
	whole := filepath.Join(dir, "whole.html")
	code, _, stderr := call(append(append([]string{"sweep"}, common...), "--report", whole)...)
	require.Equal(t, exitOK, code, stderr)
	var shards []string
	for i := range 2 {
		code, stdout, stderr := call(append(append([]string{"sweep"}, common...), "--json", "--shard", []string{"0/2", "1/2"}[i])...)
		require.Equal(t, exitOK, code, stderr)
		shard := filepath.Join(dir, []string{"a.jsonl", "b.jsonl"}[i])
		require.NoError(t, os.WriteFile(shard, []byte(stdout), 0o644))
		shards = append(shards, shard)
	}
	merged := filepath.Join(dir, "merged.html")
	code, _, stderr = call(append([]string{"merge", "--report", merged}, shards...)...)
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, charts(t, whole), charts(t, merged))
	assert.Equal(t, 2, strings.Count(charts(t, merged), `<svg class="timeline"`))
}
