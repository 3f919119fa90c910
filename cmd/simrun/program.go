package main

import (
	"fmt"
	"io"
	"path/filepath"
	"runtime/debug"
	"strings"
)

// programName is how the command lines simrun prints (reproduce, replay,
// show) start: the program as it was invoked (arg0, os.Args[0], which a
// shell passes as typed: "./simrun", "bin/simrun", or "simrun" when found
// on PATH), so that they paste back into the same shell. `go run` builds
// into a temporary directory that is gone when the program exits: then it
// is "go run" and the main package's path, which works anywhere inside
// the module.
func programName(arg0, mainPackage string) string {
	if arg0 == "" {
		return "simrun"
	}
	if strings.Contains(filepath.ToSlash(arg0), "/go-build") {
		if mainPackage == "" {
			mainPackage = "./cmd/simrun"
		}
		return "go run " + mainPackage
	}
	return shellQuote(arg0)
}

// mainPackage is the import path of this program's main package, from the
// build info ("" without it).
func mainPackage() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		return info.Path
	}
	return ""
}

// versionCommand prints the module's version and the VCS revision the
// binary was built from, as the build info records them.
func versionCommand(args []string, out io.Writer) error {
	fs := newFlagSet("version", out)
	if err := parse(fs, args, out); err != nil {
		return err
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		fmt.Fprintln(out, "simrun: no build information in this binary")
		return nil
	}
	fmt.Fprintln(out, versionText(info))
	return nil
}

// versionText is `simrun version`'s line: module and version, then the
// revision, its time and whether the tree had uncommitted changes, when
// the build recorded them (go build in a checkout does; go run and go test
// do not), then the Go version.
func versionText(info *debug.BuildInfo) string {
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	version := info.Main.Version
	if version == "" {
		version = "(unknown version)"
	}
	text := fmt.Sprintf("simrun %s %s", info.Main.Path, version)
	if revision := settings["vcs.revision"]; revision != "" {
		text += ", revision " + revision
		if at := settings["vcs.time"]; at != "" {
			text += " (" + at + ")"
		}
		if settings["vcs.modified"] == "true" {
			text += " with uncommitted changes"
		}
	} else {
		text += ", no VCS revision recorded (built outside a checkout, or by go run)"
	}
	return text + ", " + info.GoVersion
}
