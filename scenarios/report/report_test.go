package report

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/consim/consim/scenarios"
	"github.com/consim/consim/scenarios/internal/browsertest"
)

func named(t *testing.T, name string) scenarios.Scenario {
	t.Helper()
	s, err := scenarios.Named(name)
	require.NoError(t, err)
	return s
}

func TestFaultWindowsFollowTheSchedule(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		scenario string
		want     []Window
	}{
		{"steady", nil},
		{"leader-isolation", []Window{{Start: 1500 * ms, End: 3000 * ms, Kind: KindNetwork}}},
		{"crash-restart", []Window{{Start: 1000 * ms, End: 2000 * ms, Kind: KindCrash}, {Start: 2500 * ms, End: 3500 * ms, Kind: KindCrash}}},
		{"pause-leader", []Window{{Start: 1000 * ms, End: 1800 * ms, Kind: KindPause}, {Start: 2500 * ms, End: 3300 * ms, Kind: KindPause}}},
		{"minority-crashed", []Window{{Start: 1000 * ms, End: 6000 * ms, Kind: KindCrash}}}, // kept to the end
		{"swarm", nil}, // drawn per seed
	}
	for _, test := range tests {
		t.Run(test.scenario, func(t *testing.T) {
			got := FaultWindows(named(t, test.scenario))
			for i := range got {
				got[i].Label = ""
			}
			assert.Equal(t, test.want, got)
		})
	}
	t.Run("a partition with no heal lasts to the liveness phase", func(t *testing.T) {
		s := scenarios.Scenario{Duration: 10 * time.Second, LivenessWindow: 2 * time.Second,
			Faults: []scenarios.Fault{{At: time.Second, Action: scenarios.ActPartitionHalves}, {At: 7 * time.Second, Action: scenarios.ActIsolate, Node: 1}}}
		assert.Equal(t, []Window{{Start: time.Second, End: 6 * time.Second, Kind: KindNetwork, Label: "1s partition-halves"}}, FaultWindows(s),
			"a fault at or after the phase start has no window")
	})
}

func TestBinHistogramQuantiles(t *testing.T) {
	for v := range 5000 {
		b := binBucket(v)
		require.Less(t, b, binBuckets)
		if v < exactBelow {
			require.Equal(t, float64(v), binValue(b))
		} else {
			require.InEpsilon(t, float64(v), binValue(b), 0.15, "value %d", v)
		}
	}
	var h [binBuckets]uint32
	for _, v := range []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9} {
		h[binBucket(v)]++
	}
	median, ok := quantile(&h, 0.5)
	require.True(t, ok)
	assert.Equal(t, 4.0, median)
	low, _ := quantile(&h, 0.1)
	high, _ := quantile(&h, 0.9)
	assert.Equal(t, []float64{0, 8}, []float64{low, high})
	_, ok = quantile(&[binBuckets]uint32{}, 0.5)
	assert.False(t, ok)
}

// smallSweep runs protocols × scenarios × seeds 1..3 into a collector and
// writes its page in a temporary folder.
func smallSweep(t *testing.T, protocols, names []string) (string, []scenarios.Scenario) {
	t.Helper()
	var list []scenarios.Scenario
	for _, name := range names {
		list = append(list, named(t, name))
	}
	c := NewCollector(list, protocols)
	page := Page{Summary: "sweep: a test", Verdict: "verdict: ok, no violation", Header: []string{"scenario", "protocol", "runs"}}
	for _, s := range list {
		for _, proto := range protocols {
			for seed := uint64(1); seed <= 3; seed++ {
				r, err := scenarios.Run(s, scenarios.Options{Protocol: proto, Seed: seed})
				require.NoError(t, err)
				r.Shed()
				c.Add(r)
			}
			page.Rows = append(page.Rows, []string{s.Name, proto, "3"})
		}
	}
	page.Failures = []Failure{{Scenario: names[0], Protocol: protocols[0], Seed: 2, Verdict: "safety", First: "a made-up failure",
		Reproduce: "simrun run --seed 2", Artifacts: "artifacts/run-seed-2"}}
	path := filepath.Join(t.TempDir(), "report.html")
	file, err := os.Create(path)
	require.NoError(t, err)
	require.NoError(t, c.Write(file, page))
	require.NoError(t, file.Close())
	return path, list
}

var (
	timelineSVG = regexp.MustCompile(`(?s)<svg class="timeline" data-scenario="([^"]+)" data-duration-ms="(\d+)".*?</svg>`)
	faultRect   = regexp.MustCompile(`<rect class="fault fault-(\w+)" data-start-ms="(\d+)" data-end-ms="(\d+)" x="([0-9.]+)" y="\d+" width="([0-9.]+)"`)
)

func TestReportPageHasAChartPerScenarioWithAxesLegendAndFaultWindows(t *testing.T) {
	protocols := []string{"raft", "paxos"}
	path, list := smallSweep(t, protocols, []string{"steady", "leader-isolation"})
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	page := string(raw)
	assert.NotContains(t, page, "http://ex", "nothing fetched")
	assert.NotContains(t, page, "<script", "no script")
	assert.NotRegexp(t, `(src|href)="https?:`, page, "self-contained")

	charts := timelineSVG.FindAllStringSubmatch(page, -1)
	require.Len(t, charts, len(list), "one timeline per scenario")
	for i, chart := range charts {
		s := list[i]
		assert.Equal(t, s.Name, chart[1])
		svg := chart[0]
		assert.Contains(t, svg, `class="axis x-axis"`)
		assert.Contains(t, svg, `class="axis y-axis"`)
		assert.Contains(t, svg, ">simulated time</text>")
		for _, proto := range protocols {
			assert.Contains(t, svg, fmt.Sprintf(`class="legend-entry" data-protocol="%s"`, proto))
		}
		assert.Equal(t, len(protocols), strings.Count(svg, `class="median"`))
		assert.Equal(t, len(protocols), strings.Count(svg, `class="band"`))
		assert.Contains(t, svg, fmt.Sprintf(`class="liveness" data-at-ms="%d"`, s.FaultsEnd().Milliseconds()))
		rects := faultRect.FindAllStringSubmatch(svg, -1)
		if s.Name == "steady" {
			assert.Empty(t, rects)
			continue
		}
		// leader-isolation: the leader is cut off from 1.5s to 3s of 6s.
		require.Len(t, rects, 1)
		assert.Equal(t, []string{"network", "1500", "3000"}, rects[0][1:4])
		x, width := rects[0][4], rects[0][5]
		plotAt := func(d time.Duration) float64 { return marginLeft + float64(plotWidth)*float64(d)/float64(s.Duration) }
		assert.Equal(t, fmt.Sprintf("%.1f", plotAt(1500*time.Millisecond)), x)
		assert.Equal(t, fmt.Sprintf("%.1f", plotAt(3000*time.Millisecond)-plotAt(1500*time.Millisecond)), width)
	}
	assert.Contains(t, page, `<svg class="latency-cdf"`)
	assert.Equal(t, len(protocols), strings.Count(page, `class="cdf"`))
	assert.Contains(t, page, `href="#scenario-leader-isolation"`, "table of contents")
	assert.Contains(t, page, `id="scenario-leader-isolation"`)
	assert.Contains(t, page, `<a class="artifacts" href="artifacts/run-seed-2/">`)
	assert.Contains(t, page, "<code>simrun run --seed 2</code>")

	t.Run("in a browser", func(t *testing.T) {
		browser := browsertest.Find(t)
		abs, err := filepath.Abs(path)
		require.NoError(t, err)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, browser, "--headless", "--no-sandbox", "--disable-gpu",
			"--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
			"--proxy-server=http://127.0.0.1:9", "--user-data-dir="+t.TempDir(), "--dump-dom", "file://"+abs)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		require.NoError(t, err, stderr.String())
		dom := string(out)
		require.Contains(t, dom, "</html>", "no DOM")
		assert.Len(t, timelineSVG.FindAllString(dom, -1), len(list), "the timelines rendered")
		assert.Len(t, faultRect.FindAllString(dom, -1), 1, "the fault window rendered")
		assert.Contains(t, dom, `class="latency-cdf"`)
		assert.Equal(t, 2*len(list)+2, strings.Count(dom, `class="legend-entry"`), "legend entries: a protocol per chart")
	})
}

func TestAPageOfAHundredScenariosAndFourProtocolsStaysSmall(t *testing.T) {
	protocols := []string{"raft", "raft+prevote", "paxos", "etcd"}
	var list []scenarios.Scenario
	for i := range 100 {
		duration := 6 * time.Second
		if i == 0 {
			duration = 5 * time.Minute // 3000 bins, merged into 600
		}
		list = append(list, scenarios.Scenario{Name: fmt.Sprintf("s%03d", i), Duration: duration, LivenessWindow: time.Second,
			Faults: []scenarios.Fault{{At: time.Second, Action: scenarios.ActIsolateLeader}, {At: 2 * time.Second, Action: scenarios.ActHeal}}})
	}
	c := NewCollector(list, protocols)
	for _, s := range list {
		for _, proto := range protocols {
			for seed := range 50 {
				timeline := make([]int, int(s.Duration/scenarios.TimelineBin))
				for i := range timeline {
					timeline[i] = 5 + (i+seed)%10
				}
				latencies := make([]int, scenarios.LatencyBuckets)
				latencies[30+seed%5] = 100
				c.Add(scenarios.Result{Scenario: s.Name, Protocol: proto, Seed: uint64(seed), Timeline: timeline, LatencyCounts: latencies})
			}
		}
	}
	for _, proto := range protocols {
		g := c.groups[[2]string{"s000", proto}]
		require.Equal(t, 5, g.merge)
		require.Len(t, g.bins, maxChartBins, "a long scenario's bins are merged")
	}
	var page strings.Builder
	require.NoError(t, c.Write(&page, Page{Summary: "many", Verdict: "verdict: ok, no violation"}))
	html := page.String()
	assert.Equal(t, 100, strings.Count(html, `<svg class="timeline"`))
	assert.Equal(t, 100, strings.Count(html, `<li><a href="#scenario-s`), "a table of contents entry each")
	assert.Contains(t, html, "ops / 500ms", "the merged scenario's bins are 500ms")
	assert.Less(t, len(html), 4<<20, "the page stays a few megabytes")
	t.Logf("page of 100 scenarios × 4 protocols: %d bytes", len(html))
}
