// Package browsertest finds the headless Chromium that the tests of the
// pages consim writes (failure pages, reports) open them in, and makes a
// skip for want of one visible: plain `go test ./...` shows only "ok" for a
// package whose tests skipped, so a machine without Chromium would look
// as if it had checked the pages.
//
// It is for tests only; it imports no package of the project.
package browsertest

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
)

// Names are the browser commands looked up on PATH, in order.
var Names = []string{"chromium", "chromium-browser", "google-chrome"}

var (
	mu sync.Mutex
	// skipped names the tests that skipped for want of a browser.
	skipped []string
)

// Find returns the path of a Chromium on PATH. Without one it skips the
// test, and Main says so at the end, or, when $CI is set, fails it: CI
// must install one (.ci/run does).
func Find(t testing.TB) string {
	t.Helper()
	for _, name := range Names {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("no %s on PATH, and CI is set: CI must install one (.ci/run does)", strings.Join(Names, ", "))
	}
	mu.Lock()
	skipped = append(skipped, t.Name())
	mu.Unlock()
	uncache()
	t.Skipf("no %s on PATH: install Chromium to check the pages in a browser", strings.Join(Names, ", "))
	return ""
}

// Main runs the tests of package pkg (m.Run) and returns the exit code for
// os.Exit. When a test skipped for want of a browser, it prints a notice
// at the end: on stdout (go test -v, or a failure, shows it) and on the
// terminal (/dev/tty, when there is one), which plain `go test ./...`
// does not capture. A run with such a skip is kept out of go test's cache,
// so that the notice comes again on the next run instead of a silent
// "(cached)".
func Main(m *testing.M, pkg string) int {
	code := m.Run()
	mu.Lock()
	names := skipped
	mu.Unlock()
	if len(names) == 0 {
		return code
	}
	notice(os.Stdout, pkg, names)
	if tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0); err == nil {
		notice(tty, pkg, names)
		tty.Close()
	}
	return code
}

// notice writes the line that says which tests of pkg skipped.
func notice(w io.Writer, pkg string, names []string) {
	fmt.Fprintf(w, "NOTE: %s: %d browser test(s) SKIPPED, no %s on PATH: the pages were not checked in a browser (%s)\n",
		pkg, len(names), strings.Join(Names, ", "), strings.Join(names, ", "))
}

// skipMarker is the file uncache writes, in the test's package directory
// (the working directory of a test); .gitignore lists it.
const skipMarker = ".browser-tests-skipped"

// uncache keeps this run out of go test's cache: go test does not cache a
// run that read a file of the module modified within the last two seconds
// (files outside the module it does not look at), so the run writes one in
// the package directory and reads it back. It must happen while the tests
// run: go test's log of the files read closes when m.Run returns. A
// read-only source tree just leaves the run cacheable.
func uncache() {
	if err := os.WriteFile(skipMarker, []byte("a browser test skipped for want of Chromium; see internal/browsertest\n"), 0o644); err != nil {
		return
	}
	os.ReadFile(skipMarker)
}
