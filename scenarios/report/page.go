package report

import (
	"fmt"
	"html/template"
	"io"
	"math"
	"strings"
	"time"

	"github.com/consim/consim/scenarios"
)

// Page is what the report says besides the collected runs: the sweep's
// own text, as its text report has it.
type Page struct {
	// Summary is the report's first line and Verdict its verdict line.
	Summary, Verdict string
	// Header and Rows are the table per scenario and protocol; Notes
	// explain its columns.
	Header []string
	Rows   [][]string
	Notes  []string
	// Failures are the failing runs.
	Failures []Failure
}

// Failure is one failing run of the sweep.
type Failure struct {
	Scenario, Protocol string
	Seed               uint64
	Verdict, First     string
	// Reproduce is the command that reproduces the run, AsFile (for a
	// swarm run) the one that writes it as a file.
	Reproduce, AsFile string
	// Artifacts and Shrunk are the run's artifacts folder and shrunk
	// scenario, relative to the page ("" when not written).
	Artifacts, Shrunk string
}

// Chart geometry, in SVG pixels.
const (
	chartWidth   = 600
	chartHeight  = 190
	marginLeft   = 44
	marginRight  = 12
	marginTop    = 22
	marginBottom = 30
	plotWidth    = chartWidth - marginLeft - marginRight
	plotHeight   = chartHeight - marginTop - marginBottom
)

// palette colours the protocols, in report order.
var palette = []string{"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"}

// faultColors colours the fault windows by kind.
var faultColors = map[string]string{KindNetwork: "#ff9900", KindCrash: "#cc0000", KindPause: "#8a2be2", KindDrift: "#888888"}

// Write writes the page: the collector's charts with p's text.
func (c *Collector) Write(w io.Writer, p Page) error {
	data := struct {
		Page
		Scenarios []scenarioView
		Latency   template.HTML
		Protocols []legendEntry
	}{Page: p, Protocols: c.legend()}
	for _, s := range c.scenarioList() {
		data.Scenarios = append(data.Scenarios, c.scenarioView(s, p))
	}
	data.Latency = c.latencyChart()
	return pageTemplate.Execute(w, data)
}

// legendEntry is a protocol and its colour.
type legendEntry struct{ Name, Color string }

func (c *Collector) legend() []legendEntry {
	entries := make([]legendEntry, len(c.protocols))
	for i, name := range c.protocols {
		entries[i] = legendEntry{name, palette[i%len(palette)]}
	}
	return entries
}

// scenarioList is the scenarios of the report: those given, then any
// other met, in order.
func (c *Collector) scenarioList() []scenarios.Scenario {
	list := c.scenarios
	for _, name := range c.seen {
		list = append(list, scenarios.Scenario{Name: name})
	}
	return list
}

// scenarioView is one scenario's section.
type scenarioView struct {
	Name, Anchor, Description string
	Failed                    int
	Chart                     template.HTML
	Stats                     []statsRow
	Swarm                     bool
}

// statsRow is a protocol's leader changes and terms per run.
type statsRow struct {
	Protocol, Color, Runs, LeaderChanges, Terms string
}

func (c *Collector) scenarioView(s scenarios.Scenario, p Page) scenarioView {
	v := scenarioView{Name: s.Name, Anchor: Anchor(s.Name), Description: s.Description, Swarm: s.Swarm}
	for _, f := range p.Failures {
		if f.Scenario == s.Name {
			v.Failed++
		}
	}
	for i, proto := range c.protocols {
		g := c.groups[[2]string{s.Name, proto}]
		if g == nil {
			continue
		}
		lm, ll, lh := countStats(g.leaderChanges)
		tm, tl, th := countStats(g.terms)
		v.Stats = append(v.Stats, statsRow{proto, palette[i%len(palette)], fmt.Sprint(g.runs),
			fmt.Sprintf("%d (%d–%d)", lm, ll, lh), fmt.Sprintf("%d (%d–%d)", tm, tl, th)})
	}
	v.Chart = c.timelineChart(s)
	return v
}

// Anchor is the page's id of a scenario's section.
func Anchor(name string) string {
	var b strings.Builder
	b.WriteString("scenario-")
	for _, r := range name {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

// svg accumulates one SVG drawing.
type svg struct{ strings.Builder }

func (b *svg) f(format string, args ...any) { fmt.Fprintf(&b.Builder, format, args...) }

// esc escapes text for the drawing.
func esc(s string) string { return template.HTMLEscapeString(s) }

// niceStep is a round step (1, 2 or 5 × a power of ten) that cuts span
// into about n ticks.
func niceStep(span float64, n int) float64 {
	if span <= 0 {
		return 1
	}
	raw := span / float64(n)
	power := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*power >= raw {
			return m * power
		}
	}
	return 10 * power
}

// timelineChart draws s's availability timeline: per protocol the median
// of the operations completed per bin across seeds and the 10th-90th
// percentile band, over s's fault windows.
func (c *Collector) timelineChart(s scenarios.Scenario) template.HTML {
	type series struct {
		color          string
		median, lo, hi []float64
	}
	var all []series
	bins, top, merge := 0, 1.0, 1
	for i, proto := range c.protocols {
		g := c.groups[[2]string{s.Name, proto}]
		if g == nil || len(g.bins) == 0 {
			continue
		}
		sr := series{color: palette[i%len(palette)]}
		for b := range g.bins {
			m, _ := quantile(&g.bins[b], 0.5)
			lo, _ := quantile(&g.bins[b], 0.1)
			hi, _ := quantile(&g.bins[b], 0.9)
			sr.median, sr.lo, sr.hi = append(sr.median, m), append(sr.lo, lo), append(sr.hi, hi)
			top = max(top, hi)
		}
		bins, merge = max(bins, len(g.bins)), g.merge
		all = append(all, sr)
	}
	width := time.Duration(merge) * scenarios.TimelineBin // of one bin
	span := time.Duration(bins) * width
	if s.Duration > 0 {
		span = min(s.Duration, time.Duration(scenarios.MaxTimelineBins)*scenarios.TimelineBin)
	}
	if span <= 0 {
		span = time.Second
	}
	yStep := niceStep(top, 4)
	top = math.Ceil(top/yStep) * yStep
	x := func(t time.Duration) float64 { return marginLeft + float64(plotWidth)*float64(t)/float64(span) }
	y := func(v float64) float64 { return marginTop + float64(plotHeight)*(1-v/top) }
	var b svg
	b.f(`<svg class="timeline" data-scenario="%s" data-duration-ms="%d" width="%d" height="%d" viewBox="0 0 %d %d" xmlns="http://www.w3.org/2000/svg" role="img">`,
		esc(s.Name), span.Milliseconds(), chartWidth, chartHeight, chartWidth, chartHeight)
	b.f(`<title>%s: operations completed per %v, median and 10th-90th percentile across seeds</title>`, esc(s.Name), width)
	for _, w := range FaultWindows(s) {
		start, end := min(w.Start, span), min(w.End, span)
		b.f(`<rect class="fault fault-%s" data-start-ms="%d" data-end-ms="%d" x="%.1f" y="%d" width="%.1f" height="%d" fill="%s" fill-opacity="0.15"><title>%s until %v</title></rect>`,
			w.Kind, w.Start.Milliseconds(), w.End.Milliseconds(), x(start), marginTop, x(end)-x(start), plotHeight, faultColors[w.Kind], esc(w.Label), w.End)
		// A solid strip along the plot's bottom keeps the window in sight
		// under many protocols' bands.
		b.f(`<rect class="fault-strip" x="%.1f" y="%d" width="%.1f" height="4" fill="%s" fill-opacity="0.8"/>`,
			x(start), marginTop+plotHeight+1, x(end)-x(start), faultColors[w.Kind])
	}
	if phase := s.FaultsEnd(); s.Duration > 0 && phase >= 0 && phase <= span {
		b.f(`<line class="liveness" data-at-ms="%d" x1="%.1f" x2="%.1f" y1="%d" y2="%d" stroke="#555" stroke-dasharray="4 3"/>`,
			phase.Milliseconds(), x(phase), x(phase), marginTop, marginTop+plotHeight)
		b.f(`<text class="liveness-label" x="%.1f" y="%d" font-size="10" fill="#555">liveness phase</text>`, x(phase)+3, marginTop+10)
	}
	// Axes, ticks and labels.
	b.f(`<g class="axis x-axis" font-size="10" fill="#333">`)
	b.f(`<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="#333"/>`, marginLeft, marginLeft+plotWidth, marginTop+plotHeight, marginTop+plotHeight)
	xStep := niceStep(span.Seconds(), 6)
	for t := 0.0; t <= span.Seconds()+1e-9; t += xStep {
		px := x(time.Duration(t * float64(time.Second)))
		b.f(`<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" stroke="#333"/><text x="%.1f" y="%d" text-anchor="middle">%gs</text>`,
			px, px, marginTop+plotHeight, marginTop+plotHeight+4, px, marginTop+plotHeight+15, math.Round(t*1000)/1000)
	}
	b.f(`<text x="%d" y="%d" text-anchor="middle">simulated time</text></g>`, marginLeft+plotWidth/2, chartHeight-2)
	b.f(`<g class="axis y-axis" font-size="10" fill="#333">`)
	b.f(`<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="#333"/>`, marginLeft, marginLeft, marginTop, marginTop+plotHeight)
	for v := 0.0; v <= top+1e-9; v += yStep {
		b.f(`<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#333"/><text x="%d" y="%.1f" text-anchor="end">%g</text>`,
			marginLeft-4, marginLeft, y(v), y(v), marginLeft-6, y(v)+3, v)
	}
	b.f(`<text transform="translate(10 %d) rotate(-90)" text-anchor="middle">ops / %v</text></g>`, marginTop+plotHeight/2, width)
	// Bands, then medians over them. A bin's point is at its middle.
	mid := func(i int) float64 { return x(time.Duration(i)*width + width/2) }
	for _, sr := range all {
		var pts []string
		for i, v := range sr.hi {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", mid(i), y(v)))
		}
		for i := len(sr.lo) - 1; i >= 0; i-- {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", mid(i), y(sr.lo[i])))
		}
		// The bands fade as they get more, so that overlapping ones stay
		// readable.
		b.f(`<polygon class="band" points="%s" fill="%s" fill-opacity="%.2f" stroke="none"/>`, strings.Join(pts, " "), sr.color, max(0.05, 0.36/float64(len(all))))
	}
	for _, sr := range all {
		var pts []string
		for i, v := range sr.median {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", mid(i), y(v)))
		}
		b.f(`<polyline class="median" points="%s" fill="none" stroke="%s" stroke-width="1.5"/>`, strings.Join(pts, " "), sr.color)
	}
	c.legendSVG(&b, func(proto string) bool { g := c.groups[[2]string{s.Name, proto}]; return g != nil && len(g.bins) > 0 })
	b.f(`</svg>`)
	return template.HTML(b.String())
}

// legendSVG draws the legend of the protocols that have series: a
// swatch and the name of each, in a row above the plot (wrapping).
func (c *Collector) legendSVG(b *svg, has func(string) bool) {
	b.f(`<g class="legend" font-size="10">`)
	at, line := marginLeft, 0
	for i, proto := range c.protocols {
		if !has(proto) {
			continue
		}
		width := 20 + 6*len(proto)
		if at+width > chartWidth && at > marginLeft {
			at, line = marginLeft, line+1
		}
		yy := 4 + 11*line
		b.f(`<rect x="%d" y="%d" width="10" height="3" fill="%s"/><text class="legend-entry" data-protocol="%s" x="%d" y="%d" fill="#333">%s</text>`,
			at, yy+3, palette[i%len(palette)], esc(proto), at+14, yy+7, esc(proto))
		at += width
	}
	b.f(`</g>`)
}

// latencyChart draws per protocol the CDF of every completed operation's
// latency across the sweep, on a log time scale.
func (c *Collector) latencyChart() template.HTML {
	lowest, highest := scenarios.LatencyBuckets, -1
	for _, proto := range c.protocols {
		for b, n := range c.latency[proto] {
			if n > 0 {
				lowest, highest = min(lowest, b), max(highest, b)
			}
		}
	}
	var b svg
	b.f(`<svg class="latency-cdf" width="%d" height="%d" viewBox="0 0 %d %d" xmlns="http://www.w3.org/2000/svg" role="img"><title>latency CDF per protocol</title>`,
		chartWidth, chartHeight+20, chartWidth, chartHeight+20)
	if highest < 0 {
		b.f(`<text x="20" y="40">no completed operation</text></svg>`)
		return template.HTML(b.String())
	}
	// Decades spanned: the lower end of the lowest bucket to the upper
	// end of the highest.
	lowDecade := math.Floor(math.Log10(float64(scenarios.LatencyBucketUpper(max(lowest-1, 0)))))
	highDecade := math.Ceil(math.Log10(float64(scenarios.LatencyBucketUpper(highest))))
	if highDecade <= lowDecade {
		highDecade = lowDecade + 1
	}
	height := chartHeight + 20
	ph := height - marginTop - marginBottom
	x := func(d time.Duration) float64 {
		return marginLeft + float64(plotWidth)*(math.Log10(float64(d))-lowDecade)/(highDecade-lowDecade)
	}
	y := func(f float64) float64 { return float64(marginTop) + float64(ph)*(1-f) }
	b.f(`<g class="axis x-axis" font-size="10" fill="#333"><line x1="%d" x2="%d" y1="%d" y2="%d" stroke="#333"/>`, marginLeft, marginLeft+plotWidth, marginTop+ph, marginTop+ph)
	for d := lowDecade; d <= highDecade; d++ {
		at := time.Duration(math.Pow(10, d))
		b.f(`<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" stroke="#333"/><text x="%.1f" y="%d" text-anchor="middle">%v</text>`,
			x(at), x(at), marginTop+ph, marginTop+ph+4, x(at), marginTop+ph+15, at)
	}
	b.f(`<text x="%d" y="%d" text-anchor="middle">operation latency (simulated, log scale)</text></g>`, marginLeft+plotWidth/2, height-2)
	b.f(`<g class="axis y-axis" font-size="10" fill="#333"><line x1="%d" x2="%d" y1="%d" y2="%d" stroke="#333"/>`, marginLeft, marginLeft, marginTop, marginTop+ph)
	for _, f := range []float64{0, 0.25, 0.5, 0.75, 1} {
		b.f(`<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#ddd"/><text x="%d" y="%.1f" text-anchor="end">%g</text>`,
			marginLeft-4, marginLeft+plotWidth, y(f), y(f), marginLeft-6, y(f)+3, f)
	}
	b.f(`</g>`)
	for i, proto := range c.protocols {
		counts := c.latency[proto]
		var total uint64
		for _, n := range counts {
			total += n
		}
		if total == 0 {
			continue
		}
		var pts []string
		var seen uint64
		prev := y(0)
		for bucket := lowest; bucket <= highest; bucket++ {
			upper := x(scenarios.LatencyBucketUpper(bucket))
			seen += counts[bucket]
			now := y(float64(seen) / float64(total))
			pts = append(pts, fmt.Sprintf("%.1f,%.1f %.1f,%.1f", upper, prev, upper, now))
			prev = now
		}
		b.f(`<polyline class="cdf" data-protocol="%s" points="%s" fill="none" stroke="%s" stroke-width="1.5"/>`,
			esc(proto), strings.Join(pts, " "), palette[i%len(palette)])
	}
	c.legendSVG(&b, func(proto string) bool { return c.latency[proto] != nil })
	b.f(`</svg>`)
	return template.HTML(b.String())
}
