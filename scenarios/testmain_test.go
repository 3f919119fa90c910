package scenarios

import (
	"os"
	"testing"

	"github.com/consim/consim/scenarios/internal/browsertest"
)

// TestMain says, at the end of the run, when the browser tests skipped for
// want of Chromium (see browsertest.Main): plain go test ./... would only
// print ok.
func TestMain(m *testing.M) { os.Exit(browsertest.Main(m, "scenarios")) }
