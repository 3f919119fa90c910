package scenarios

import (
	"bufio"
	"bytes"
	"cmp"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"text/tabwriter"

	"github.com/consim/consim/checker"
	"github.com/consim/consim/scenarios/explain"
	"github.com/consim/consim/sim"
)

// The files WriteArtifacts writes into a run's folder.
const (
	ArtifactScenario        = "scenario.yaml"
	ArtifactReadme          = "README.txt"
	ArtifactTrace           = "trace.jsonl"
	ArtifactLinearizability = "linearizability.html"
	ArtifactSpaceTime       = "spacetime.html"
)

// WriteArtifacts writes what someone needs to reproduce and understand the
// run res (of s under o) into a folder under dir named after it
// (protocol-scenario[-bug]-seed-N, e.g. raft-swarm-seed-7), and returns the
// folder's path. Files already there are replaced. The folder holds:
//
//   - scenario.yaml: the scenario as played (a swarm's drawn faults written
//     out), which reproduces the run with --scenario-file;
//   - README.txt: seed, protocol, bug, verdict, the violations, and the
//     commands that reproduce the run;
//   - trace.jsonl: the whole trace, one JSON object a line;
//   - linearizability.html: Porcupine's view of the client history, with
//     the fault actions, crashes, restarts, halts, leaderships and the
//     violation on its timeline;
//   - spacetime.html: the messages around the first violation (see
//     package explain).
//
// Both pages are self-contained: they open from disk with no server and no
// network. When res has no trace or no linearizability details (it was run
// without Options.Trace, or shed), WriteArtifacts runs s under o again with
// the trace on; runs are deterministic, and a replay whose fingerprint
// differs from res's is an error.
func WriteArtifacts(dir string, s Scenario, o Options, res Result) (string, error) {
	res, err := complete(s, o, res)
	if err != nil {
		return "", err
	}
	played := res.Played
	if played.Servers == 0 {
		played = Draw(s, o.Seed)
	}
	folder := filepath.Join(dir, artifactFolder(res))
	if err := os.MkdirAll(folder, 0o755); err != nil {
		return "", fmt.Errorf("artifacts: %w", err)
	}
	data, err := MarshalScenario(played)
	if err != nil {
		return "", fmt.Errorf("artifacts: %w", err)
	}
	if err := os.WriteFile(filepath.Join(folder, ArtifactScenario), data, 0o644); err != nil {
		return "", fmt.Errorf("artifacts: %w", err)
	}
	if err := writeTraceFile(filepath.Join(folder, ArtifactTrace), res.Trace); err != nil {
		return "", err
	}
	mark := violationMark(res)
	annotations := explain.Annotations(res.Trace, played.Servers, mark)
	if err := checker.WriteVisualization(filepath.Join(folder, ArtifactLinearizability), res.Linearizability, annotations); err != nil {
		return "", fmt.Errorf("artifacts: %w", err)
	}
	scenarioFile := filepath.Join(folder, ArtifactScenario)
	if abs, err := filepath.Abs(scenarioFile); err == nil {
		scenarioFile = abs
	}
	readme := readmeText(s, played, res, scenarioFile)
	diagram := explain.Diagram{
		Title:     fmt.Sprintf("consim: %s %s seed %d: %s", res.Protocol, res.Scenario, res.Seed, res.Verdict),
		Notes:     []string{"reproduce: " + reproduceFileCommand(res, scenarioFile)},
		Servers:   played.Servers,
		Nodes:     played.Servers + played.Clients,
		Violation: mark,
	}
	if res.Bug != "" {
		diagram.Notes = append([]string{"bug switched on: " + res.Bug}, diagram.Notes...)
	}
	if err := writeFileWith(filepath.Join(folder, ArtifactSpaceTime), func(w io.Writer) error {
		return explain.Write(w, res.Trace, diagram)
	}); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(folder, ArtifactReadme), []byte(readme), 0o644); err != nil {
		return "", fmt.Errorf("artifacts: %w", err)
	}
	return folder, nil
}

// complete fills in the trace, history and linearizability details that
// res lacks by replaying the run with the trace on, after checking that the
// replay is the same run.
func complete(s Scenario, o Options, res Result) (Result, error) {
	if len(res.Trace) > 0 && res.Linearizability.Outcome != "" {
		return res, nil
	}
	o.Trace = true
	replay, err := Run(s, o)
	if err != nil {
		return Result{}, fmt.Errorf("artifacts: replaying the run for its trace: %w", err)
	}
	if replay.Fingerprint != res.Fingerprint {
		return Result{}, fmt.Errorf("artifacts: the replay of %s seed %d has fingerprint %s, the run had %s: the run is not deterministic, or s and o are not what it ran",
			s.Name, o.Seed, replay.Fingerprint, res.Fingerprint)
	}
	if len(res.Trace) == 0 {
		res.Trace = replay.Trace
	}
	if res.Linearizability.Outcome == "" {
		res.Linearizability, res.History = replay.Linearizability, replay.History
	}
	if res.Played.Servers == 0 {
		res.Played = replay.Played
	}
	return res, nil
}

// violationMark is the run's first violation as the pages highlight it.
func violationMark(res Result) *explain.Mark {
	if len(res.Violations) == 0 {
		return nil
	}
	v := res.Violations[0]
	return &explain.Mark{
		At:     v.At,
		Nodes:  v.Nodes,
		Title:  fmt.Sprintf("%s violation: %s", v.Class, v.Invariant),
		Detail: v.Detail,
	}
}

// unsafeName matches what a folder name does not keep.
var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// artifactFolder names a run's folder: protocol, scenario, bug (if any)
// and seed, in characters that are safe in a path and a shell.
func artifactFolder(res Result) string {
	parts := []string{cmp.Or(res.Protocol, "protocol"), cmp.Or(res.Scenario, "scenario")}
	if res.Bug != "" {
		parts = append(parts, res.Bug)
	}
	parts = append(parts, fmt.Sprintf("seed-%d", res.Seed))
	for i, p := range parts {
		parts[i] = cmp.Or(strings.Trim(unsafeName.ReplaceAllString(p, "-"), "-."), "unnamed")
	}
	return strings.Join(parts, "-")
}

// readmeText is README.txt: what failed and how to reproduce it.
func readmeText(s, played Scenario, res Result, scenarioFile string) string {
	var b strings.Builder
	title := fmt.Sprintf("consim run: %s on %s, seed %d: %s", res.Protocol, res.Scenario, res.Seed, res.Verdict)
	fmt.Fprintf(&b, "%s\n%s\n\n", title, strings.Repeat("=", len(title)))
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "protocol\t%s\n", res.Protocol)
	if res.Bug != "" {
		description := ""
		if bug, err := LookupBug(res.Bug); err == nil {
			description = ": " + bug.Description
		}
		fmt.Fprintf(tw, "bug\t%s%s\n", res.Bug, description)
	} else {
		fmt.Fprintf(tw, "bug\tnone\n")
	}
	fmt.Fprintf(tw, "scenario\t%s%s\n", res.Scenario, describeScenario(s))
	fmt.Fprintf(tw, "seed\t%d\n", res.Seed)
	fmt.Fprintf(tw, "verdict\t%s\n", res.Verdict)
	fmt.Fprintf(tw, "fingerprint\t%s\n", res.Fingerprint)
	fmt.Fprintf(tw, "events\t%d, %v simulated, stopped by %s\n", res.Events, res.SimTime, res.Stop)
	tw.Flush()

	b.WriteString("\nViolations:\n")
	if len(res.Violations) == 0 {
		b.WriteString("  none\n")
	}
	for i, v := range res.Violations {
		fmt.Fprintf(&b, "  %d. %s\n", i+1, indent(v.String(), "     "))
	}

	b.WriteString("\nReproduce with the scenario as played (this folder's scenario.yaml):\n")
	fmt.Fprintf(&b, "  %s\n", reproduceFileCommand(res, scenarioFile))
	b.WriteString("or, from inside this folder:\n")
	fmt.Fprintf(&b, "  %s\n", reproduceFileCommand(res, ArtifactScenario))
	if namedMatches(s) {
		b.WriteString("Reproduce with the named scenario:\n")
		fmt.Fprintf(&b, "  %s\n", res.ReproduceCommand())
	} else {
		fmt.Fprintf(&b, "(%q is not a named scenario of this build, or differs from it: use the file.)\n", res.Scenario)
	}
	if s.Swarm {
		fmt.Fprintf(&b, "The faults were drawn from the seed (swarm); scenario.yaml holds the %d drawn actions, with swarm off.\n", len(played.Faults))
	}

	b.WriteString("\nFiles:\n")
	tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  %s\tthe scenario as played\n", ArtifactScenario)
	fmt.Fprintf(tw, "  %s\tthe whole trace, %d records (sends, deliveries, drops, timers, facts, faults, crashes), one JSON object a line\n", ArtifactTrace, len(res.Trace))
	fmt.Fprintf(tw, "  %s\tPorcupine's view of the client history (its verdict: %s), with faults, crashes, restarts, leaders and the violation on its timeline\n",
		ArtifactLinearizability, res.Linearizability.Outcome)
	fmt.Fprintf(tw, "  %s\tthe messages around the violation: one column per node, time running down\n", ArtifactSpaceTime)
	fmt.Fprintf(tw, "  %s\toperations completed per 100ms of simulated time, with the fault windows shaded (written by simrun and simtest)\n", "timeline.html")
	tw.Flush()
	b.WriteString("The pages open in a browser straight from disk; they need no server and no network.\n")
	return b.String()
}

// describeScenario is ": the description" of s, or nothing.
func describeScenario(s Scenario) string {
	if s.Description == "" {
		return ""
	}
	return ": " + s.Description
}

// namedMatches reports whether s is the named scenario of its name, so
// that --scenario NAME replays it.
func namedMatches(s Scenario) bool {
	named, err := Named(s.Name)
	if err != nil {
		return false
	}
	a, errA := MarshalScenario(named)
	b, errB := MarshalScenario(s)
	return errA == nil && errB == nil && bytes.Equal(a, b)
}

// reproduceFileCommand is the simrun command line that replays res from
// the scenario file path.
func reproduceFileCommand(res Result, path string) string {
	return runCommandLine(res.Protocol, res.Bug, "--scenario-file "+shellWord(path), res.Seed) + res.LimitFlags()
}

// plainShellWord matches what a POSIX shell reads as one word unquoted.
var plainShellWord = regexp.MustCompile(`^[A-Za-z0-9_./:@%+=,-]+$`)

// shellWord quotes s for a POSIX shell when it needs it.
func shellWord(s string) string {
	if plainShellWord.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// indent indents every line of s after the first.
func indent(s, prefix string) string {
	return strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n"+prefix)
}

// writeTraceFile writes the trace as JSON lines.
func writeTraceFile(path string, trace []sim.Record) error {
	return writeFileWith(path, func(w io.Writer) error { return sim.WriteTrace(w, trace) })
}

// writeFileWith creates the file path with what fill writes.
func writeFileWith(path string, fill func(w io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("artifacts: %w", err)
	}
	w := bufio.NewWriter(f)
	err = fill(w)
	if err == nil {
		err = w.Flush()
	}
	if closeErr := f.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		return fmt.Errorf("artifacts: writing %s: %w", path, err)
	}
	return nil
}
