// Package explain shows why a run failed. It draws a run's trace as a
// space-time diagram (Write): one column per node, servers then clients,
// time running down, every message an arrow from its send to its delivery,
// drops, fault actions, crashes, restarts, halts and leader changes marked,
// and the violation highlighted; and it turns the trace into annotations on
// Porcupine's timeline of the client history (Annotations).
//
// A diagram is one self-contained HTML file: inline SVG and CSS, no script,
// nothing fetched, so it opens from disk in any browser, also offline.
//
// explain reads sim records, node ids and facts. It never imports scenarios
// (which calls it), network, or a protocol package.
package explain

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/consim/consim/nodes"
	"github.com/consim/consim/sim"
)

// The window a diagram shows by default: the records up to and including
// the violation, and a few after it.
const (
	DefaultBefore = 300
	DefaultAfter  = 20
)

// Mark is the event a diagram highlights: a run's first violation.
type Mark struct {
	// At is the simulated time at which the violation became evident.
	At time.Duration
	// Nodes are the nodes involved.
	Nodes []nodes.ID
	// Title names the violation in one line, e.g. "safety violation:
	// one-value-chosen".
	Title string
	// Detail explains it; it may span lines.
	Detail string
	_      struct{}
}

// Diagram says what to draw.
type Diagram struct {
	// Title heads the page.
	Title string
	// Notes are lines shown under the title: the seed, the command that
	// reproduces the run, ...
	Notes []string
	// Servers is the number of servers: ids 1..Servers are servers, the
	// ids after them clients.
	Servers int
	// Nodes is the number of nodes, servers and clients. A node that
	// appears in the trace gets a column even beyond it.
	Nodes int
	// Violation, when set, is highlighted, and the window ends a few
	// records after it; otherwise the window is the end of the trace.
	Violation *Mark
	// Before is how many records the window shows up to and including
	// the violation (0 means DefaultBefore); After how many after it (0
	// means DefaultAfter, negative none).
	Before, After int
	_             struct{}
}

// Write draws the records of trace around d.Violation as a space-time
// diagram, one HTML page, to w. The trace is in the order the World noted
// it (time order). Messages are paired across the whole trace, so an arrow
// that enters or leaves the window is drawn from its edge or to it.
func Write(w io.Writer, trace []sim.Record, d Diagram) error {
	var b strings.Builder
	newLayout(trace, d).page(&b)
	_, err := io.WriteString(w, b.String())
	return err
}

// Geometry of the diagram, in pixels.
const (
	timeWidth    = 110 // the time labels left of the first column
	columnWidth  = 128
	rowHeight    = 18
	headerHeight = 46 // the column heads
	edgeTop      = 26 // room above the first row for arrows from before the window
	edgeBottom   = 40 // room below the last row for arrows to after it
	labelMax     = 90 // characters of a band's text before it is cut
)

// layout is a diagram with its window and coordinates worked out.
type layout struct {
	trace []sim.Record
	d     Diagram
	// start, stop bound the window: records [start, stop).
	start, stop int
	// violation is the index of the highlighted record (the last one at or
	// before the violation's time), or -1.
	violation int
	// count is the number of node columns (ids 1..count).
	count int
	// rows maps a record in the window (index - start) to its row: one row
	// per distinct time.
	rows []int
	// times is each row's time.
	times    []time.Duration
	messages []*message
}

func newLayout(trace []sim.Record, d Diagram) *layout {
	l := &layout{trace: trace, d: d, violation: -1, count: max(d.Nodes, d.Servers)}
	before, after := cmp.Or(d.Before, DefaultBefore), cmp.Or(d.After, DefaultAfter)
	after = max(after, 0)
	end := len(trace)
	if d.Violation != nil {
		end = countAtOrBefore(trace, d.Violation.At)
		l.violation = end - 1
	}
	l.start, l.stop = max(0, end-before), min(len(trace), end+after)
	for _, r := range trace {
		l.count = max(l.count, r.From, r.To)
	}
	for i := l.start; i < l.stop; i++ {
		if len(l.times) == 0 || trace[i].At != l.times[len(l.times)-1] {
			l.times = append(l.times, trace[i].At)
		}
		l.rows = append(l.rows, len(l.times)-1)
	}
	l.messages = pairMessages(trace)
	return l
}

// countAtOrBefore is the number of records at or before time at.
func countAtOrBefore(trace []sim.Record, at time.Duration) int {
	n, _ := slices.BinarySearchFunc(trace, at, func(r sim.Record, at time.Duration) int {
		if r.At <= at {
			return -1
		}
		return 1
	})
	return n
}

// x is the centre of node id's column.
func (l *layout) x(id int) float64 { return timeWidth + (float64(id)-0.5)*columnWidth }

// width is the width of both SVGs.
func (l *layout) width() float64 { return timeWidth + float64(l.count)*columnWidth + 10 }

// y is the vertical position of a row.
func (l *layout) y(row int) float64 { return edgeTop + float64(row)*rowHeight + rowHeight/2 }

// top and bottom are the window's edges, where arrows from before it start
// and arrows to after it end.
func (l *layout) top() float64    { return 4 }
func (l *layout) bottom() float64 { return l.y(len(l.times)-1) + edgeBottom - 6 }
func (l *layout) height() float64 { return l.y(len(l.times)-1) + edgeBottom }

// inWindow reports whether record i is in the window.
func (l *layout) inWindow(i int) bool { return i >= l.start && i < l.stop }

// rowOf is the row of record i, which must be in the window.
func (l *layout) rowOf(i int) int { return l.rows[i-l.start] }

// isServer reports whether id is a server.
func (l *layout) isServer(id int) bool { return id <= l.d.Servers }

// page writes the whole HTML page.
func (l *layout) page(b *strings.Builder) {
	title := cmp.Or(l.d.Title, "consim space-time diagram")
	fmt.Fprintf(b, "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>%s</title>\n<style>\n%s</style>\n</head>\n<body>\n", esc(title), css)
	fmt.Fprintf(b, "<header>\n<h1>%s</h1>\n", esc(title))
	for _, note := range l.d.Notes {
		fmt.Fprintf(b, "<p class=\"note\">%s</p>\n", esc(note))
	}
	l.violationBox(b)
	l.windowSummary(b)
	b.WriteString(legend)
	b.WriteString("</header>\n")
	if len(l.times) == 0 {
		b.WriteString("<p>The trace is empty: there is nothing to draw.</p>\n</body>\n</html>\n")
		return
	}
	l.columnHeads(b)
	l.body(b)
	b.WriteString("</body>\n</html>\n")
}

// violationBox describes the violation above the diagram, with a link to
// its place in it.
func (l *layout) violationBox(b *strings.Builder) {
	v := l.d.Violation
	if v == nil {
		return
	}
	ids := make([]string, len(v.Nodes))
	for i, id := range v.Nodes {
		ids[i] = id.String()
	}
	fmt.Fprintf(b, "<div class=\"violation-box\"><strong>%s</strong> at %s, nodes %s &mdash; <a href=\"#violation\">jump to it in the diagram</a>\n<pre>%s</pre></div>\n",
		esc(v.Title), esc(v.At.String()), esc(strings.Join(ids, ", ")), esc(v.Detail))
}

// windowSummary says which records the diagram shows, and lists the fault
// actions before the window, which shape what it shows.
func (l *layout) windowSummary(b *strings.Builder) {
	if len(l.times) > 0 {
		fmt.Fprintf(b, "<p class=\"note\">Showing events %d to %d of %d (%s to %s); each row is one instant, time runs down.</p>\n",
			l.start+1, l.stop, len(l.trace), esc(seconds(l.times[0])), esc(seconds(l.times[len(l.times)-1])))
	}
	var earlier []string
	for _, r := range l.trace[:l.start] {
		if r.Kind == sim.KindFault {
			earlier = append(earlier, fmt.Sprintf("%s %s", seconds(r.At), faultText(r)))
		}
	}
	if len(earlier) == 0 {
		return
	}
	fmt.Fprintf(b, "<details class=\"earlier\"%s><summary>%d fault action(s) before this window</summary><ul>\n", open(len(earlier) <= 12), len(earlier))
	for _, e := range earlier {
		fmt.Fprintf(b, "<li>%s</li>\n", esc(e))
	}
	b.WriteString("</ul></details>\n")
}

func open(yes bool) string {
	if yes {
		return " open"
	}
	return ""
}

// columnHeads writes the node names and their states at the window's
// start, in an SVG that stays at the top while the page scrolls.
func (l *layout) columnHeads(b *strings.Builder) {
	states := statesBefore(l.trace, l.start, l.count)
	fmt.Fprintf(b, "<div class=\"heads\"><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%d\">\n", l.width(), headerHeight)
	fmt.Fprintf(b, "<text class=\"axis\" x=\"6\" y=\"20\">time</text><text class=\"axis\" x=\"6\" y=\"36\">(simulated)</text>\n")
	for id := 1; id <= l.count; id++ {
		class, role := "client", "client"
		if l.isServer(id) {
			class, role = "server", "server"
		}
		if l.involved(id) {
			class += " involved"
		}
		fmt.Fprintf(b, "<g class=\"head %s\"><title>%s at the window's start: %s</title><text x=\"%.1f\" y=\"18\">%s</text><text class=\"state\" x=\"%.1f\" y=\"36\">%s, %s</text></g>\n",
			class, nodes.ID(id), esc(states[id].String()), l.x(id), nodes.ID(id), l.x(id), role, esc(states[id].String()))
	}
	b.WriteString("</svg></div>\n")
}

// involved reports whether node id is one the violation names.
func (l *layout) involved(id int) bool {
	return l.d.Violation != nil && slices.Contains(l.d.Violation.Nodes, nodes.ID(id))
}

// body writes the diagram itself: bands, lifelines, arrows, node events,
// the violation, in that order (later is drawn on top).
func (l *layout) body(b *strings.Builder) {
	fmt.Fprintf(b, "<svg class=\"diagram\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\">\n%s", l.width(), l.height(), markers)
	l.timeAxis(b)
	l.faultBands(b)
	l.lifelines(b)
	l.arrows(b)
	l.nodeEvents(b)
	l.violationMark(b)
	b.WriteString("</svg>\n")
}

// timeAxis writes each row's time, and a faint line across every row.
func (l *layout) timeAxis(b *strings.Builder) {
	b.WriteString("<g class=\"time\">\n")
	for row, at := range l.times {
		y := l.y(row)
		fmt.Fprintf(b, "<line class=\"grid\" x1=\"%d\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\"/><text x=\"6\" y=\"%.1f\">%s</text>\n",
			timeWidth-4, y, l.width(), y, y+3.5, esc(seconds(at)))
	}
	b.WriteString("</g>\n")
}

// faultBands writes a band across every column at each fault action, with
// its text.
func (l *layout) faultBands(b *strings.Builder) {
	for i := l.start; i < l.stop; i++ {
		r := l.trace[i]
		if r.Kind != sim.KindFault {
			continue
		}
		y := l.y(l.rowOf(i))
		text := faultText(r)
		fmt.Fprintf(b, "<g class=\"fault\"><title>%s fault: %s</title><rect x=\"%d\" y=\"%.1f\" width=\"%.0f\" height=\"%d\"/><text x=\"%d\" y=\"%.1f\">fault: %s</text></g>\n",
			esc(seconds(r.At)), esc(text), timeWidth-4, y-rowHeight/2, l.width()-timeWidth+4, rowHeight, timeWidth+4, y+4, esc(cut(text, labelMax)))
	}
}

// faultText is a fault record as a band shows it.
func faultText(r sim.Record) string {
	if r.From != 0 {
		return fmt.Sprintf("%s: %s", nodes.ID(r.From), r.Detail)
	}
	return r.Detail
}

// lifelines writes each node's vertical line: grey while it runs, gold and
// thick while it leads, red and dotted while it is down.
func (l *layout) lifelines(b *strings.Builder) {
	states := statesBefore(l.trace, l.start, l.count)
	first, last := l.top()+8, l.bottom()
	for id := 1; id <= l.count; id++ {
		state, from := states[id], first
		for i := l.start; i < l.stop; i++ {
			r := l.trace[i]
			if subject(r) != id {
				continue
			}
			next := state
			next.step(r)
			if lifeClass(next) == lifeClass(state) {
				state = next
				continue
			}
			y := l.y(l.rowOf(i))
			l.lifeline(b, id, from, y, state)
			state, from = next, y
		}
		l.lifeline(b, id, from, last, state)
	}
}

func (l *layout) lifeline(b *strings.Builder, id int, y1, y2 float64, s nodeState) {
	if y2 <= y1 {
		return
	}
	fmt.Fprintf(b, "<line class=\"life %s\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"><title>%s: %s</title></line>\n",
		lifeClass(s), l.x(id), y1, l.x(id), y2, nodes.ID(id), esc(s.String()))
}

// lifeClass is the style of a lifeline in state s.
func lifeClass(s nodeState) string {
	switch {
	case s.down:
		return "down"
	case s.leads():
		return "leader"
	}
	return "up"
}

// arrows writes every message copy whose flight touches the window.
func (l *layout) arrows(b *strings.Builder) {
	b.WriteString("<g class=\"messages\">\n")
	// lost counts the copies lost as they were sent, by sender and row,
	// and by kind: one label says what a sender lost at an instant.
	type instant struct{ from, row int }
	lost := map[instant][]string{}
	var order []instant
	for _, m := range l.messages {
		if !l.touches(m) {
			continue
		}
		l.arrow(b, m)
		if m.immediate() && l.inWindow(m.send) {
			at := instant{m.from, l.rowOf(m.send)}
			if lost[at] == nil {
				order = append(order, at)
			}
			lost[at] = append(lost[at], messageKind(m.detail))
		}
	}
	for _, at := range order {
		fmt.Fprintf(b, "<text class=\"lost\" x=\"%.1f\" y=\"%.1f\">%s</text>\n", l.x(at.from)+8, l.y(at.row)-4, esc(countKinds(lost[at])))
	}
	b.WriteString("</g>\n")
}

// countKinds summarises message kinds, in the order they first appear:
// "lost: heartbeat ×4, accept ×4".
func countKinds(kinds []string) string {
	var seen []string
	counts := map[string]int{}
	for _, k := range kinds {
		if counts[k] == 0 {
			seen = append(seen, k)
		}
		counts[k]++
	}
	parts := make([]string, len(seen))
	for i, k := range seen {
		parts[i] = k
		if counts[k] > 1 {
			parts[i] = fmt.Sprintf("%s ×%d", k, counts[k])
		}
	}
	return "lost: " + strings.Join(parts, ", ")
}

// touches reports whether m's flight overlaps the window.
func (l *layout) touches(m *message) bool {
	if m.send >= l.stop {
		return false
	}
	return m.send >= l.start || m.end == -1 || m.end >= l.start
}

// arrow draws one message copy: from its send (or the window's top edge)
// to its delivery (or the window's bottom edge, dashed, while it is still
// in flight there); a dropped copy ends in an X short of its destination.
func (l *layout) arrow(b *strings.Builder, m *message) {
	x1, x2 := l.x(m.from), l.x(m.to)
	y1 := l.top()
	if l.inWindow(m.send) {
		y1 = l.y(l.rowOf(m.send))
	}
	var y2 float64
	class, marker := "msg", "arrow"
	switch {
	case m.end == -1 || m.end >= l.stop:
		y2, class, marker = l.bottom(), "msg flight", "arrow-open"
	case m.immediate():
		// Lost as it was sent: a short stub towards the destination.
		x2, y2, class, marker = x1+(x2-x1)*0.3, y1+rowHeight*0.7, "msg drop", "drop"
	case m.dropped:
		y2 = l.y(l.rowOf(m.end))
		x2, class, marker = x1+(x2-x1)*0.85, "msg drop", "drop"
	default:
		y2 = l.y(l.rowOf(m.end))
	}
	if m.duplicate {
		class += " dup"
	}
	kind := messageKind(m.detail)
	fmt.Fprintf(b, "<g class=\"%s\"><title>%s</title><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" marker-end=\"url(#%s)\"/>",
		class, esc(l.describe(m)), x1, y1, x2, y2, marker)
	if m.immediate() {
		b.WriteString("</g>\n") // labelled per sender and instant: see arrows
		return
	}
	fmt.Fprintf(b, "<text x=\"%.1f\" y=\"%.1f\">%s</text></g>\n", (x1+x2)/2, (y1+y2)/2-2, esc(kind))
}

// describe is the hover text of a message copy: endpoints, content and its
// fate with the times.
func (l *layout) describe(m *message) string {
	send := l.trace[m.send]
	var s strings.Builder
	fmt.Fprintf(&s, "%s → %s: %s\nsent at %s", nodes.ID(m.from), nodes.ID(m.to), m.detail, seconds(send.At))
	if m.duplicate {
		s.WriteString(" (the network's duplicate copy)")
	}
	if m.end == -1 {
		s.WriteString("\nstill in flight when the trace ended")
		return s.String()
	}
	end := l.trace[m.end]
	fate := "delivered"
	if m.dropped {
		fate = "dropped (" + m.why + ")"
	}
	fmt.Fprintf(&s, "\n%s at %s (+%v)", fate, seconds(end.At), end.At-send.At)
	return s.String()
}

// messageKind is the label of an arrow: the first word of the message as
// printed (every message's String starts with its kind: "vote t3 ...",
// "accept b2.1 ...", "reply c7#3 ...").
func messageKind(detail string) string {
	kind, _, _ := strings.Cut(detail, " ")
	return cut(kind, 16)
}

// nodeEvents marks what happened at a node: crashes, restarts, halts and
// panics as labels on its column, role changes as labels, other facts and
// fired timers as small dots whose hover text is the record.
func (l *layout) nodeEvents(b *strings.Builder) {
	for i := l.start; i < l.stop; i++ {
		r := l.trace[i]
		id := subject(r)
		if id == 0 || r.Kind == sim.KindFault {
			continue
		}
		x, y := l.x(id), l.y(l.rowOf(i))
		hover := fmt.Sprintf("%s %s at %s", nodes.ID(id), r.Kind, seconds(r.At))
		if r.Detail != "" {
			hover += ": " + r.Detail
		}
		switch r.Kind {
		case sim.KindCrash, sim.KindRestart, sim.KindHalt, sim.KindPanic:
			label := r.Kind.String()
			if r.Detail != "" {
				label += ": " + r.Detail
			}
			fmt.Fprintf(b, "<g class=\"event %s\"><title>%s</title><rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"12\"/><text x=\"%.1f\" y=\"%.1f\">%s</text></g>\n",
				r.Kind, esc(hover), x-6, y-6, x+9, y+4, esc(cut(label, 28)))
		case sim.KindFact:
			if f, ok := roleOf(r); ok {
				fmt.Fprintf(b, "<g class=\"role %s\"><title>%s</title><circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\"/><text x=\"%.1f\" y=\"%.1f\">%s e%d</text></g>\n",
					f.Role, esc(hover), x, y, x+7, y+4, esc(string(f.Role)), f.Epoch)
				continue
			}
			fmt.Fprintf(b, "<circle class=\"fact\" cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\"><title>%s</title></circle>\n", x, y, esc(hover))
		default:
			fmt.Fprintf(b, "<circle class=\"tick\" cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\"><title>%s</title></circle>\n", x, y, esc(hover))
		}
	}
}

// violationMark writes the red band at the violation's row, its text, and
// a ring on each involved node's column.
func (l *layout) violationMark(b *strings.Builder) {
	v := l.d.Violation
	if v == nil {
		return
	}
	row := 0
	if l.violation >= l.start {
		row = l.rowOf(l.violation)
	}
	y := l.y(row)
	text := fmt.Sprintf("%s at %s", v.Title, v.At)
	fmt.Fprintf(b, "<g id=\"violation\" class=\"violation\"><title>%s\n%s</title><rect x=\"0\" y=\"%.1f\" width=\"%.0f\" height=\"%d\"/>",
		esc(text), esc(v.Detail), y-rowHeight/2, l.width(), rowHeight)
	for _, id := range v.Nodes {
		if int(id) >= 1 && int(id) <= l.count {
			fmt.Fprintf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"8\"/>", l.x(int(id)), y)
		}
	}
	fmt.Fprintf(b, "<text x=\"%d\" y=\"%.1f\">%s</text></g>\n", timeWidth+4, y+rowHeight+2, esc(cut(text, labelMax+30)))
}

// seconds prints a simulated time in seconds with microseconds, the same
// width for every row.
func seconds(d time.Duration) string { return fmt.Sprintf("%.6fs", d.Seconds()) }

// cut shortens s to at most n characters, marking the cut.
func cut(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// esc escapes text for HTML and SVG, in element content and in quoted
// attributes alike.
func esc(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;").Replace(s)
}

// markers are the arrowheads: a filled head for a delivery, an open one for
// a message still in flight at the window's edge, an X for a drop.
const markers = `<defs>
<marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#2f5597"/></marker>
<marker id="arrow-open" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10" fill="none" stroke="#8a8a8a" stroke-width="1.5"/></marker>
<marker id="drop" viewBox="0 0 10 10" refX="5" refY="5" markerWidth="9" markerHeight="9" orient="0"><path d="M1,1 L9,9 M9,1 L1,9" stroke="#c00000" stroke-width="2.2"/></marker>
</defs>
`

// legend explains the marks, drawn with the same marks.
const legend = `<svg class="legend" xmlns="http://www.w3.org/2000/svg" width="1060" height="26">
<line x1="4" y1="13" x2="44" y2="13" stroke="#2f5597" stroke-width="1.3" marker-end="url(#lg-arrow)"/><text x="50" y="17">delivered message</text>
<line x1="170" y1="13" x2="200" y2="13" stroke="#c00000" stroke-width="1.3" marker-end="url(#lg-drop)"/><text x="208" y="17">dropped</text>
<line x1="275" y1="13" x2="315" y2="13" stroke="#8a8a8a" stroke-width="1.3" stroke-dasharray="4 3"/><text x="321" y="17">in flight at the window's edge</text>
<rect x="520" y="5" width="22" height="16" fill="#ffe2b8"/><text x="548" y="17">fault action</text>
<line x1="640" y1="4" x2="640" y2="22" stroke="#d4a017" stroke-width="5"/><text x="648" y="17">leader</text>
<line x1="705" y1="4" x2="705" y2="22" stroke="#c00000" stroke-width="2" stroke-dasharray="2 3"/><text x="713" y="17">down</text>
<rect x="765" y="5" width="22" height="16" fill="#ff000040" stroke="#c00000"/><text x="793" y="17">violation (hover anything for details)</text>
<defs><marker id="lg-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#2f5597"/></marker>
<marker id="lg-drop" viewBox="0 0 10 10" refX="5" refY="5" markerWidth="9" markerHeight="9"><path d="M1,1 L9,9 M9,1 L1,9" stroke="#c00000" stroke-width="2.2"/></marker></defs>
</svg>
`

const css = `body { font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 0 12px 40px; color: #222; }
header { padding-top: 8px; }
h1 { font-size: 19px; margin: 6px 0; }
.note { margin: 3px 0; font-size: 13px; }
.violation-box { border: 2px solid #c00000; background: #fff0f0; padding: 6px 10px; margin: 8px 0; font-size: 13px; max-width: 1200px; }
.violation-box pre { white-space: pre-wrap; margin: 4px 0 0; font-size: 12px; }
.earlier { font-size: 13px; margin: 4px 0; }
.earlier ul { margin: 2px 0; }
.legend text { font-size: 12px; }
.heads { position: sticky; top: 0; background: #fff; border-bottom: 1px solid #bbb; z-index: 1; }
.heads text { text-anchor: middle; font-size: 14px; font-weight: 600; }
.heads text.state { font-size: 11px; font-weight: 400; fill: #555; }
.heads text.axis { text-anchor: start; font-size: 11px; font-weight: 400; fill: #777; }
.heads .client text { fill: #1d6b50; }
.heads .involved text { fill: #c00000; }
.diagram text { font-size: 10px; }
.time text { fill: #777; font-family: ui-monospace, Menlo, Consolas, monospace; }
line.grid { stroke: #f0f0f0; stroke-width: 1; }
.fault rect { fill: #ffe2b8; }
.fault text { fill: #8a4b00; font-size: 11px; font-weight: 600; }
line.life { stroke-width: 1.5; }
line.life.up { stroke: #b0b0b0; }
line.life.leader { stroke: #d4a017; stroke-width: 5; }
line.life.down { stroke: #c00000; stroke-dasharray: 2 3; }
.msg line { stroke: #2f5597; stroke-width: 1.1; }
.msg text { fill: #2f5597; text-anchor: middle; paint-order: stroke; stroke: #fff; stroke-width: 3px; }
.msg.dup line { stroke-dasharray: 6 2; }
.msg.drop line { stroke: #c00000; }
.msg.drop text { fill: #c00000; }
text.lost { fill: #c00000; font-size: 10px; paint-order: stroke; stroke: #fff; stroke-width: 3px; }
.msg.flight line { stroke: #8a8a8a; stroke-dasharray: 4 3; }
.msg.flight text { fill: #777; }
.msg:hover line { stroke-width: 3; }
.event rect { stroke: #000; stroke-width: 0.5; }
.event text { font-size: 11px; font-weight: 700; paint-order: stroke; stroke: #fff; stroke-width: 3px; }
.event.crash rect, .event.halt rect, .event.panic rect { fill: #c00000; }
.event.crash text, .event.halt text, .event.panic text { fill: #c00000; }
.event.restart rect { fill: #2e8b57; }
.event.restart text { fill: #2e8b57; }
.role circle { fill: #999; }
.role text { fill: #555; font-size: 10px; paint-order: stroke; stroke: #fff; stroke-width: 3px; }
.role.leader circle { fill: #d4a017; }
.role.leader text { fill: #8a6500; font-weight: 700; font-size: 11px; }
circle.fact { fill: #4a7fc1; }
circle.tick { fill: #fff; stroke: #999; }
#violation { scroll-margin-top: 45vh; }
.violation rect { fill: #ff000030; stroke: #c00000; stroke-width: 1.5; }
.violation circle { fill: none; stroke: #c00000; stroke-width: 2.5; }
.violation text { fill: #c00000; font-size: 13px; font-weight: 700; paint-order: stroke; stroke: #fff; stroke-width: 4px; }
`
