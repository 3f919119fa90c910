// Command mutate is consim's mutation tester: it makes small changes to a
// package's code (a flipped comparison, a negated condition, a deleted call;
// see Operator), one at a time, and runs the killer against each: the
// package's own tests and the simulator's sweeps, built with the mutant in
// place through go build's -overlay (the tree is never edited). A mutant the
// killer does not reject survives; every survivor must either be killed by a
// new check or be listed, with a one-line reason, as equivalent (it cannot
// change what a correct run does) in the equivalents file.
//
//	go run ./.ci/mutate -pkg nodes/raft            # every mutant of nodes/raft
//	go run ./.ci/mutate -pkg nodes/raft -list      # only list them
//	go run ./.ci/mutate -pkg nodes/paxos -shard 0/4 -out paxos-0.tsv
//
// It lives under .ci so that go test ./... does not build it as part of the
// product; it runs outside any simulated World and may use processes and the
// wall clock (for timeouts).
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Status is what the killer made of a mutant.
type Status string

const (
	Killed     Status = "killed"      // a test or a sweep failed
	Survived   Status = "survived"    // everything passed
	NotViable  Status = "not-viable"  // it does not compile
	Equivalent Status = "equivalent"  // it survived and the equivalents file says why it cannot be killed
	TimedOut   Status = "killed-time" // the killer ran past its limit: an endless loop counts as killed
)

// sweep is one simrun sweep of the killer.
type sweep struct {
	protocols string
	seeds     string
}

// defaultSweeps are the killer's sweeps for each package: the default sweep
// (every consensus protocol, every scenario, seeds 1:20) and, for Raft, every
// feature on its own and all together over 10 seeds.
var defaultSweeps = map[string][]sweep{
	"nodes/raft": {
		{"raft,paxos,etcd", "1:20"},
		{"raft+prevote,raft+checkquorum,raft+readindex,raft+snapshot,raft+checkquorum+readindex+lease,raft+prevote+checkquorum+readindex+lease+snapshot", "1:10"},
	},
	"nodes/paxos": {{"raft,paxos,etcd", "1:20"}, {"paxos", "21:50"}},
}

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "mutate:", err)
		os.Exit(2)
	}
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("mutate", flag.ContinueOnError)
	pkg := fs.String("pkg", "nodes/raft", "package directory to mutate, relative to the repository root")
	list := fs.Bool("list", false, "list the mutants and stop")
	only := fs.String("only", "", "run only the mutants whose id contains this text")
	shard := fs.String("shard", "0/1", "run only shard I/N of the mutants (mutant k with k mod N = I)")
	out := fs.String("out", "", "write one line per mutant (status, id, line, detail) to this TSV file")
	equivalents := fs.String("equivalents", "docs/mutation/equivalent.tsv", "the equivalents file: id<TAB>reason per survivor that cannot be killed")
	tests := fs.String("tests", "", "comma-separated packages whose tests are part of the killer (default: the mutated package and checker)")
	timeout := fs.Duration("timeout", 4*time.Minute, "limit per mutant; a killer that runs longer kills it")
	if err := fs.Parse(args); err != nil {
		return err
	}
	root, err := repoRoot()
	if err != nil {
		return err
	}
	mutants, err := FindMutants(root, *pkg)
	if err != nil {
		return err
	}
	mutants, err = selectMutants(mutants, *only, *shard)
	if err != nil {
		return err
	}
	if *list {
		for _, m := range mutants {
			fmt.Fprintf(stdout, "%s:%d\t%s\n", m.File, m.Line, m.ID)
		}
		fmt.Fprintf(stdout, "%d mutants\n", len(mutants))
		return nil
	}
	known, err := readEquivalents(filepath.Join(root, *equivalents))
	if err != nil {
		return err
	}
	k := &killer{root: root, pkg: *pkg, sweeps: defaultSweeps[*pkg], timeout: *timeout}
	k.tests = []string{"./" + *pkg, "./checker"}
	if *tests != "" {
		k.tests = strings.Split(*tests, ",")
	}
	if k.work, err = os.MkdirTemp("", "consim-mutate-"); err != nil {
		return err
	}
	defer os.RemoveAll(k.work)

	var report *os.File
	if *out != "" {
		if report, err = os.Create(*out); err != nil {
			return err
		}
		defer report.Close()
	}
	counts := map[Status]int{}
	for i, m := range mutants {
		status, detail := k.judge(m)
		if status == Survived && known[m.ID] != "" {
			status, detail = Equivalent, known[m.ID]
		}
		counts[status]++
		line := fmt.Sprintf("%s\t%s\t%s:%d\t%s", status, m.ID, m.File, m.Line, detail)
		fmt.Fprintf(stdout, "[%d/%d] %s\n", i+1, len(mutants), line)
		if report != nil {
			fmt.Fprintln(report, line)
		}
	}
	killed := counts[Killed] + counts[TimedOut]
	judged := killed + counts[Survived]
	score := 100.0
	if judged > 0 {
		score = 100 * float64(killed) / float64(judged)
	}
	fmt.Fprintf(stdout, "%s: %d mutants: %d killed (%d by time), %d survived, %d equivalent, %d not viable; score %.1f%% (killed over killed+survived)\n",
		*pkg, len(mutants), killed, counts[TimedOut], counts[Survived], counts[Equivalent], counts[NotViable], score)
	return nil
}

// selectMutants keeps the mutants matching only and the shard.
func selectMutants(all []Mutant, only, shard string) ([]Mutant, error) {
	i, n, ok := strings.Cut(shard, "/")
	index, err1 := strconv.Atoi(i)
	count, err2 := strconv.Atoi(n)
	if !ok || err1 != nil || err2 != nil || count < 1 || index < 0 || index >= count {
		return nil, fmt.Errorf("-shard %q: want I/N with 0 <= I < N", shard)
	}
	var out []Mutant
	for k, m := range all {
		if k%count == index && strings.Contains(m.ID, only) {
			out = append(out, m)
		}
	}
	return out, nil
}

// readEquivalents reads id<TAB>reason lines; # starts a comment line.
func readEquivalents(path string) (map[string]string, error) {
	known := map[string]string{}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return known, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	lines := bufio.NewScanner(f)
	for n := 1; lines.Scan(); n++ {
		text := lines.Text()
		if strings.TrimSpace(text) == "" || strings.HasPrefix(text, "#") {
			continue
		}
		id, reason, ok := strings.Cut(text, "\t")
		if !ok || strings.TrimSpace(reason) == "" {
			return nil, fmt.Errorf("%s:%d: want a mutant id, a tab and the reason it is equivalent", path, n)
		}
		known[id] = reason
	}
	return known, lines.Err()
}

func repoRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("run mutate inside the consim module")
	}
	return filepath.Dir(mod), nil
}

// killer builds and judges mutants.
type killer struct {
	root, pkg, work string
	sweeps          []sweep
	tests           []string
	timeout         time.Duration
}

// judge applies m through an overlay and runs the tests and then the
// sweeps with it; the first failure kills the mutant.
func (k *killer) judge(m Mutant) (Status, string) {
	src, err := os.ReadFile(filepath.Join(k.root, m.File))
	if err != nil {
		return NotViable, err.Error()
	}
	mutated := filepath.Join(k.work, "mutant.go")
	if err := os.WriteFile(mutated, m.Apply(src), 0o644); err != nil {
		return NotViable, err.Error()
	}
	overlay := filepath.Join(k.work, "overlay.json")
	spec, _ := json.Marshal(map[string]map[string]string{"Replace": {filepath.Join(k.root, m.File): mutated}})
	if err := os.WriteFile(overlay, spec, 0o644); err != nil {
		return NotViable, err.Error()
	}
	ctx, cancel := context.WithTimeout(context.Background(), k.timeout)
	defer cancel()
	// The package tests first: they are quick and pointed. Then the sweeps,
	// which stop at the first failing run.
	args := append([]string{"test", "-overlay", overlay, "-count=1", "-failfast"}, k.tests...)
	out, err := k.command(ctx, "go", args...)
	if ctx.Err() != nil {
		return TimedOut, "tests ran past the limit"
	}
	if err != nil {
		if strings.Contains(out, "[build failed]") || strings.Contains(out, "[setup failed]") {
			return NotViable, failingLine(out)
		}
		return Killed, "tests: " + failingLine(out)
	}
	sweeper := filepath.Join(k.work, "sweep")
	if out, err := k.command(ctx, "go", "build", "-overlay", overlay, "-o", sweeper, "./.ci/mutate/sweep"); err != nil {
		if ctx.Err() != nil {
			return TimedOut, "build ran past the limit"
		}
		return NotViable, firstLine(out)
	}
	for _, s := range k.sweeps {
		out, err := k.command(ctx, sweeper, s.protocols, s.seeds)
		if ctx.Err() != nil {
			return TimedOut, "sweep " + s.protocols + " ran past the limit"
		}
		if err != nil {
			return Killed, "sweep " + s.seeds + ": " + failingLine(out)
		}
	}
	return Survived, ""
}

func (k *killer) command(ctx context.Context, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = k.root
	cmd.Env = append(os.Environ(), "CONSIM_ARTIFACTS=")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// failingLine picks the most telling line of a failing command's output.
func failingLine(out string) string {
	for _, marker := range []string{"violation", "--- FAIL", "FAIL", "panic"} {
		for _, line := range strings.Split(out, "\n") {
			if strings.Contains(line, marker) {
				return truncate(strings.TrimSpace(line))
			}
		}
	}
	return firstLine(out)
}

func firstLine(out string) string {
	lines := slices.DeleteFunc(strings.Split(out, "\n"), func(s string) bool { return strings.TrimSpace(s) == "" })
	if len(lines) == 0 {
		return ""
	}
	return truncate(strings.TrimSpace(lines[0]))
}

func truncate(s string) string {
	s = strings.ReplaceAll(s, "\t", " ")
	if len(s) > 200 {
		return s[:200] + "..."
	}
	return s
}
