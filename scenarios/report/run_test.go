package report

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/consim/consim/scenarios"
)

// TestWriteRunTimeline writes one failing run's page (a deliberately
// broken Raft on leader-isolation) and finds its chart, the fault window
// the scenario puts at 1.5s-3s, and the violation.
func TestWriteRunTimeline(t *testing.T) {
	s, err := scenarios.Named("leader-isolation")
	require.NoError(t, err)
	o := scenarios.Options{Protocol: "raft", Seed: 1}
	o.RaftBugs.CommitQuorum = s.Servers/2 + 2
	res, err := scenarios.Run(s, o)
	require.NoError(t, err)
	require.NotEmpty(t, res.Timeline)
	path, err := WriteRunTimeline(t.TempDir(), res)
	require.NoError(t, err)
	assert.Equal(t, RunTimelineFile, filepath.Base(path))
	page, err := os.ReadFile(path)
	require.NoError(t, err)
	html := string(page)
	charts := timelineSVG.FindAllString(html, -1)
	require.Len(t, charts, 1, "one timeline chart")
	rects := faultRect.FindAllStringSubmatch(charts[0], -1)
	require.Len(t, rects, 1, "leader-isolation's one fault window")
	assert.Equal(t, []string{"1500", "3000"}, rects[0][2:4], "the window is where the scenario puts it")
	assert.Contains(t, html, "seed 1")
	assert.Contains(t, html, "verdict: "+res.Verdict)
	if res.Failed() {
		assert.Contains(t, html, res.ReproduceCommand())
	}
}
