package main

import (
	"fmt"
	"os"
	"testing"
)

// TestMain points the default artifacts directory at a temporary one for
// the whole package, so that no test writes a failing run's folder into the
// source tree.
func TestMain(m *testing.M) {
	if os.Getenv(asSimrunEnv) != "" {
		// The test binary run as simrun itself (see runAsSimrun).
		main()
	}
	dir, err := os.MkdirTemp("", "simrun-artifacts-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	os.Setenv(artifactsEnv, dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
