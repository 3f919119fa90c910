package scenarios

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/consim/consim/checker"
	"github.com/consim/consim/nodes/client"
	"github.com/consim/consim/nodes/kv"
	"github.com/consim/consim/scenarios/explain"
	"github.com/consim/consim/scenarios/internal/browsertest"
)

// failure is a failing run the artifact tests write out and look at.
type failure struct {
	name string
	s    Scenario
	o    Options
	res  Result
	// folder is the name WriteArtifacts must give the run's folder.
	folder string
	// op is the operation the violation is about: the Porcupine page must
	// show it.
	op client.Op
	// illegal says Porcupine finds the history not linearizable.
	illegal bool
	// fault is a fault action the pages must show, if any.
	fault string
}

var (
	failuresOnce sync.Once
	failuresList []failure
	failuresErr  error
)

// failures are the fixtures: a safety failure from the bug catalog (run
// without the trace, so that WriteArtifacts replays it), and a
// linearizability failure. No catalog bug fails linearizability before a
// protocol checker stops the run (none did within 30 seeds of its
// scenarios), so the second is a real run of a short steady scenario whose
// history the test falsifies: one read returns a value nobody wrote.
func failures(t *testing.T) []failure {
	t.Helper()
	failuresOnce.Do(func() { failuresList, failuresErr = makeFailures() })
	require.NoError(t, failuresErr)
	return failuresList
}

func makeFailures() ([]failure, error) {
	safety, err := safetyFailure()
	if err != nil {
		return nil, err
	}
	lin, err := linearizabilityFailure()
	if err != nil {
		return nil, err
	}
	return []failure{safety, lin}, nil
}

// opNamed matches the first operation a violation names: c7#45.
var opNamed = regexp.MustCompile(`c(\d+)#(\d+)`)

func safetyFailure() (failure, error) {
	s, err := Named("leader-isolation")
	if err != nil {
		return failure{}, err
	}
	o := Options{Protocol: "paxos", Bug: "paxos-promise-omits-accepted", Seed: 1}
	res, err := Run(s, o)
	if err != nil {
		return failure{}, err
	}
	if res.Verdict != string(checker.ClassSafety) || len(res.Trace) > 0 {
		return failure{}, fmt.Errorf("the fixture changed: verdict %s, %d trace records; want a safety failure and no trace", res.Verdict, len(res.Trace))
	}
	m := opNamed.FindStringSubmatch(res.Violations[0].Detail)
	if m == nil {
		return failure{}, fmt.Errorf("the violation names no operation: %v", res.Violations[0])
	}
	f := failure{name: "safety", s: s, o: o, res: res, folder: "paxos-leader-isolation-paxos-promise-omits-accepted-seed-1", fault: "isolate-leader"}
	for _, op := range res.History {
		if strconv.Itoa(int(op.Client)) == m[1] && strconv.FormatUint(op.Cmd.Seq, 10) == m[2] {
			f.op = op
			return f, nil
		}
	}
	return failure{}, fmt.Errorf("operation %s is not in the history", m[0])
}

func linearizabilityFailure() (failure, error) {
	s, err := Named("steady")
	if err != nil {
		return failure{}, err
	}
	s.Duration, s.LivenessWindow = 1500*time.Millisecond, 500*time.Millisecond
	o := Options{Protocol: "raft", Seed: 1, Trace: true}
	res, err := Run(s, o)
	if err != nil {
		return failure{}, err
	}
	i := 0
	for i < len(res.History) && !(res.History[i].Completed && res.History[i].Cmd.Op == kv.OpGet && res.History[i].Call > 300*time.Millisecond) {
		i++
	}
	if i == len(res.History) {
		return failure{}, fmt.Errorf("no completed read after 300ms in %d operations", len(res.History))
	}
	res.History[i].Result.Value = "never-written"
	res.Linearizability = checker.CheckLinearizable(res.History, res.SimTime, DefaultLinearizabilityTimeout)
	v := res.Linearizability.Violation()
	if v == nil || v.Class != checker.ClassLinearizability {
		return failure{}, fmt.Errorf("the falsified history is judged %v", res.Linearizability.Outcome)
	}
	v.Seed = o.Seed
	res.Violations, res.Verdict = []checker.Violation{*v}, string(v.Class)
	return failure{name: "linearizability", s: s, o: o, res: res, folder: "raft-steady-seed-1", op: res.History[i], illegal: true}, nil
}

func TestWriteArtifacts(t *testing.T) {
	for _, f := range failures(t) {
		t.Run(f.name, func(t *testing.T) {
			dir := t.TempDir()
			folder, err := WriteArtifacts(dir, f.s, f.o, f.res)
			require.NoError(t, err)
			assert.Equal(t, filepath.Join(dir, f.folder), folder)
			for _, name := range []string{ArtifactScenario, ArtifactReadme, ArtifactTrace, ArtifactLinearizability, ArtifactSpaceTime} {
				info, err := os.Stat(filepath.Join(folder, name))
				if assert.NoError(t, err) {
					assert.Positive(t, info.Size(), name)
				}
			}

			t.Run("README says what failed and how to reproduce it", func(t *testing.T) {
				readme := read(t, folder, ArtifactReadme)
				abs, err := filepath.Abs(filepath.Join(folder, ArtifactScenario))
				require.NoError(t, err)
				bug := ""
				if f.o.Bug != "" {
					bug = " --bug " + f.o.Bug
				}
				for _, want := range []string{
					fmt.Sprintf("protocol     %s\n", f.o.Protocol),
					fmt.Sprintf("seed         %d\n", f.o.Seed),
					fmt.Sprintf("verdict      %s\n", f.res.Verdict),
					fmt.Sprintf("fingerprint  %s\n", f.res.Fingerprint),
					"1. " + strings.SplitN(f.res.Violations[0].String(), "\n", 2)[0],
					fmt.Sprintf("simrun run --protocol %s%s --scenario-file %s --seed %d\n", f.o.Protocol, bug, abs, f.o.Seed),
					fmt.Sprintf("simrun run --protocol %s%s --scenario-file scenario.yaml --seed %d\n", f.o.Protocol, bug, f.o.Seed),
				} {
					assert.Contains(t, readme, want)
				}
				if f.o.Bug != "" {
					assert.Contains(t, readme, "bug          "+f.o.Bug+": ")
				}
				named := fmt.Sprintf("simrun run --protocol %s%s --scenario %s --seed %d\n", f.o.Protocol, bug, f.s.Name, f.o.Seed)
				if f.name == "safety" {
					assert.Contains(t, readme, named)
				} else { // the shortened steady is not the named one
					assert.NotContains(t, readme, named)
					assert.Contains(t, readme, `"steady" is not a named scenario of this build, or differs from it`)
				}
			})

			t.Run("trace.jsonl holds every event", func(t *testing.T) {
				want := f.res.Trace
				if len(want) == 0 {
					o := f.o
					o.Trace = true
					traced, err := Run(f.s, o)
					require.NoError(t, err)
					want = traced.Trace
				}
				lines := strings.Split(strings.TrimSuffix(read(t, folder, ArtifactTrace), "\n"), "\n")
				require.Len(t, lines, len(want))
				for i, line := range lines {
					var r struct{ Kind string }
					require.NoError(t, json.Unmarshal([]byte(line), &r), "line %d", i+1)
					require.NotEmpty(t, r.Kind, "line %d", i+1)
				}
				last, err := json.Marshal(want[len(want)-1])
				require.NoError(t, err)
				assert.Equal(t, string(last), lines[len(lines)-1])
			})

			t.Run("scenario.yaml replays the run", func(t *testing.T) {
				played, err := LoadScenario(filepath.Join(folder, ArtifactScenario))
				require.NoError(t, err)
				again, err := Run(played, Options{Protocol: f.o.Protocol, Bug: f.o.Bug, Seed: f.o.Seed})
				require.NoError(t, err)
				assert.Equal(t, f.res.Fingerprint, again.Fingerprint)
				if !f.illegal { // the falsified history is the test's doing
					assert.Equal(t, f.res.Violations, again.Violations)
				}
			})

			t.Run("the pages are self-contained", func(t *testing.T) {
				for _, name := range []string{ArtifactLinearizability, ArtifactSpaceTime} {
					page := read(t, folder, name)
					assert.Empty(t, externalReference.FindAllString(page, -1), "%s fetches from elsewhere", name)
				}
			})
		})
	}
}

// externalReference matches what makes a page load something from
// elsewhere: a script, style sheet, image or font by URL.
var externalReference = regexp.MustCompile(`(?i)(<script[^>]+src=|<link[^>]+href=|<img[^>]+src=|@import|url\(\s*['"]?(https?:|//))`)

func TestWriteArtifactsOfASwarmRunWritesTheDrawnFaults(t *testing.T) {
	s, err := Named("swarm")
	require.NoError(t, err)
	o := Options{Protocol: "raft", Seed: 7}
	res, err := Run(s, o)
	require.NoError(t, err)
	folder, err := WriteArtifacts(t.TempDir(), s, o, res)
	require.NoError(t, err)
	assert.Equal(t, "raft-swarm-seed-7", filepath.Base(folder))

	played, err := LoadScenario(filepath.Join(folder, ArtifactScenario))
	require.NoError(t, err)
	assert.False(t, played.Swarm)
	assert.Equal(t, Draw(s, o.Seed).Faults, played.Faults)
	again, err := Run(played, o)
	require.NoError(t, err)
	assert.Equal(t, res.Fingerprint, again.Fingerprint)
	assert.Contains(t, read(t, folder, ArtifactReadme), "simrun run --protocol raft --scenario swarm --seed 7\n")
}

func TestWriteArtifactsRefusesAReplayThatDiffers(t *testing.T) {
	s, err := Named("steady")
	require.NoError(t, err)
	s.Duration, s.LivenessWindow = 600*time.Millisecond, 200*time.Millisecond
	o := Options{Protocol: "raft", Seed: 3}
	res, err := Run(s, o)
	require.NoError(t, err)
	res.Fingerprint = "0123456789abcdef"
	_, err = WriteArtifacts(t.TempDir(), s, o, res)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "the run had 0123456789abcdef")
}

func TestArtifactFolder(t *testing.T) {
	tests := []struct {
		res  Result
		want string
	}{
		{Result{Protocol: "raft", Scenario: "swarm", Seed: 7}, "raft-swarm-seed-7"},
		{Result{Protocol: "paxos", Scenario: "leader-isolation", Bug: "paxos-promise-omits-accepted", Seed: 1}, "paxos-leader-isolation-paxos-promise-omits-accepted-seed-1"},
		{Result{Protocol: "raft", Scenario: "my scenario/../v2", Seed: 0}, "raft-my-scenario-..-v2-seed-0"},
		{Result{Protocol: "raft", Scenario: "..", Seed: 18446744073709551615}, "raft-unnamed-seed-18446744073709551615"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			got := artifactFolder(tt.res)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, got, filepath.Base(got))
		})
	}
}

// TestArtifactPagesInBrowser opens both pages of each failure in headless
// Chromium, with every network request sent to a dead proxy, and asserts on
// what a person sees: the DOM after Porcupine's script has drawn, and a
// screenshot. It skips when no Chromium is installed, except under CI
// (CI set), which installs it (.ci/run).
//
// Set CONSIM_SCREENSHOTS to a folder to keep the artifacts and screenshots
// there, to look at them.
func TestArtifactPagesInBrowser(t *testing.T) {
	browser := findBrowser(t)
	keep := os.Getenv("CONSIM_SCREENSHOTS")
	for _, f := range failures(t) {
		t.Run(f.name, func(t *testing.T) {
			dir := t.TempDir()
			if keep != "" {
				dir = keep
			}
			folder, err := WriteArtifacts(dir, f.s, f.o, f.res)
			require.NoError(t, err)
			mark := violationMark(f.res)

			t.Run("linearizability.html", func(t *testing.T) {
				page := filepath.Join(folder, ArtifactLinearizability)
				dom := browser.dumpDOM(t, page)
				texts := svgTexts(dom)
				// Porcupine drew the history: the operation the violation
				// is about is on the timeline, with its key and value.
				call, value := operationLabel(f.op)
				assert.True(t, containsText(texts, call, value), "the page shows no %s ... %s", call, value)
				// And the annotations: the violation, leaders, faults.
				assert.Contains(t, texts, explain.TagViolation)
				assert.Contains(t, texts, mark.Title)
				assert.True(t, containsText(texts, "leader e"), "no leadership on the timeline")
				if f.fault != "" {
					assert.Contains(t, texts, explain.TagFaults)
					assert.True(t, containsText(texts, f.fault), "no %s on the timeline", f.fault)
				}
				// Porcupine offers to jump to the first error exactly when
				// the history is not linearizable.
				jump := regexp.MustCompile(`id="jump-link" class="([^"]*)"`).FindStringSubmatch(dom)
				require.NotNil(t, jump, "no jump link: Porcupine did not render")
				assert.Equal(t, f.illegal, !strings.Contains(jump[1], "inactive"), "jump link class %q", jump[1])
				browser.screenshot(t, page, filepath.Join(dir, f.name+"-linearizability.png"), 1400, 420)
			})

			t.Run("spacetime.html", func(t *testing.T) {
				page := filepath.Join(folder, ArtifactSpaceTime)
				dom := browser.dumpDOM(t, page)
				texts := svgTexts(dom)
				for id := 1; id <= f.s.Servers+f.s.Clients; id++ {
					assert.Contains(t, texts, fmt.Sprintf("n%d", id), "column heads")
				}
				arrows := regexp.MustCompile(`<line [^>]*marker-end="url\(#arrow\)"`).FindAllString(dom, -1)
				assert.Greater(t, len(arrows), 20, "message arrows")
				assert.True(t, containsText(texts, "request") && containsText(texts, "reply"), "arrows labelled with message kinds")
				violation := regexp.MustCompile(`(?s)<g id="violation" class="violation">.*?</g>`).FindString(dom)
				require.NotEmpty(t, violation, "no violation highlight")
				assert.Contains(t, svgTexts(violation), fmt.Sprintf("%s at %v", mark.Title, mark.At))
				assert.Contains(t, html.UnescapeString(dom), mark.Detail, "the violation's detail above the diagram")
				if f.fault != "" {
					assert.True(t, containsText(texts, "fault: "+f.fault), "no fault band")
					assert.Contains(t, dom, `marker-end="url(#drop)"`, "no dropped message")
				}
				shot := filepath.Join(dir, f.name+"-spacetime.png")
				browser.screenshot(t, page, shot, 1300, 1000)
				assert.True(t, hasRed(t, shot), "the screenshot shows no red violation box")
			})
		})
	}
}

// operationLabel is how Porcupine's page shows op (checker.KVModel's
// description): the call with its key, and the value it wrote or read.
func operationLabel(op client.Op) (call, value string) {
	if op.Cmd.Op == kv.OpGet {
		return fmt.Sprintf("get(%q) -> ", op.Cmd.Key), strconv.Quote(op.Result.Value)
	}
	return fmt.Sprintf("%v(%q, ", op.Cmd.Op, op.Cmd.Key), strconv.Quote(op.Cmd.Value)
}

// browser is a headless Chromium.
type browser struct{ path string }

// findBrowser finds Chromium, or skips the test (fails it under CI); the
// package's TestMain says so at the end of the run.
func findBrowser(t *testing.T) browser { return browser{browsertest.Find(t)} }

// run runs the browser headless on the page at path with extra flags and
// returns its standard output.
func (b browser) run(t *testing.T, path string, flags ...string) string {
	t.Helper()
	abs, err := filepath.Abs(path)
	require.NoError(t, err)
	args := append([]string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
		"--proxy-server=http://127.0.0.1:9", // nothing may come from the network
		"--user-data-dir=" + t.TempDir(),
	}, flags...)
	args = append(args, "file://"+abs)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, b.path, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "%s %s\n%s", b.path, strings.Join(args, " "), stderr.String())
	return string(out)
}

// dumpDOM is the page's DOM after its scripts ran.
func (b browser) dumpDOM(t *testing.T, path string) string {
	t.Helper()
	dom := b.run(t, path, "--dump-dom")
	require.Contains(t, dom, "</html>", "no DOM")
	return dom
}

// screenshot saves a picture of the top of the page.
func (b browser) screenshot(t *testing.T, path, png string, width, height int) {
	t.Helper()
	b.run(t, path, "--screenshot="+png, fmt.Sprintf("--window-size=%d,%d", width, height))
	info, err := os.Stat(png)
	require.NoError(t, err, "no screenshot")
	require.Positive(t, info.Size())
}

// svgText matches an SVG text element and its content.
var svgText = regexp.MustCompile(`<text[^>]*>([^<]*)</text>`)

// svgTexts is the text of every SVG text element of the DOM: what the
// drawings say.
func svgTexts(dom string) []string {
	var texts []string
	for _, m := range svgText.FindAllStringSubmatch(dom, -1) {
		texts = append(texts, html.UnescapeString(m[1]))
	}
	return texts
}

// containsText reports whether one text holds every part.
func containsText(texts []string, parts ...string) bool {
	for _, text := range texts {
		found := true
		for _, p := range parts {
			found = found && strings.Contains(text, p)
		}
		if found {
			return true
		}
	}
	return false
}

// hasRed reports whether the picture at path has a run of strong red
// pixels, as the violation box's border draws.
func hasRed(t *testing.T, path string) bool {
	t.Helper()
	file, err := os.Open(path)
	require.NoError(t, err)
	defer file.Close()
	img, err := png.Decode(bufio.NewReader(file))
	require.NoError(t, err)
	bounds := img.Bounds()
	red := 0
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			if r>>8 > 150 && g>>8 < 50 && b>>8 < 50 {
				red++
			}
		}
	}
	return red > 200
}

// read returns the content of a file of folder.
func read(t *testing.T, folder, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(folder, name))
	require.NoError(t, err)
	return string(data)
}
