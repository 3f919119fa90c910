package browsertest

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestNoticeNamesThePackageAndTheSkippedTests(t *testing.T) {
	var b bytes.Buffer
	notice(&b, "scenarios", []string{"TestArtifactPagesInBrowser"})
	assert.Equal(t, "NOTE: scenarios: 1 browser test(s) SKIPPED, no chromium, chromium-browser, google-chrome on PATH: the pages were not checked in a browser (TestArtifactPagesInBrowser)\n", b.String())
}

func TestFindWithoutABrowserSkipsAndCountsTheSkip(t *testing.T) {
	t.Setenv("CI", "")
	t.Setenv("PATH", t.TempDir()) // no browser
	t.Chdir(t.TempDir())          // where the skip marker goes
	mu.Lock()
	before := len(skipped)
	mu.Unlock()
	ran := t.Run("page", func(t *testing.T) {
		Find(t)
		t.Error("Find returned without a browser")
	})
	assert.True(t, ran, "a skipped subtest counts as run")
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, before+1, len(skipped))
	assert.Equal(t, "TestFindWithoutABrowserSkipsAndCountsTheSkip/page", skipped[len(skipped)-1])
	skipped = skipped[:before] // this package's own run shows no notice
}
