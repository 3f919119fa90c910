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
