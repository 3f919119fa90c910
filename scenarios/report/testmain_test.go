package report

import (
	"os"
	"testing"

	"github.com/consim/consim/scenarios/internal/browsertest"
)

// TestMain says, at the end of the run, when the browser test skipped for
// want of Chromium (see browsertest.Main).
func TestMain(m *testing.M) { os.Exit(browsertest.Main(m, "scenarios/report")) }
