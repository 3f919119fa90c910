package explain

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/consim/consim/nodes"
	"github.com/consim/consim/sim"
)

// rec is a trace record as the World notes it: a message record's digest
// is the hash of the message kind (here the detail's first word), a fact's
// the hash of the fact kind.
func rec(ms int, kind sim.Kind, from, to int, detail string) sim.Record {
	r := sim.Record{At: time.Duration(ms) * time.Millisecond, Kind: kind, From: from, To: to, Detail: detail}
	switch kind {
	case sim.KindSend, sim.KindDeliver, sim.KindDuplicate:
		r.Digest = sim.HashString(messageKind(detail))
	case sim.KindFact:
		r.Digest = sim.HashString(strings.Fields(detail)[0])
	}
	return r
}

// drop is a drop record of a message of the given kind.
func drop(ms, from, to int, kind, why string) sim.Record {
	r := rec(ms, sim.KindDrop, from, to, why)
	r.Digest = sim.HashString(kind)
	return r
}

func TestPairMessages(t *testing.T) {
	type fate struct {
		send, end int
		dropped   bool
	}
	tests := []struct {
		name  string
		trace []sim.Record
		want  []fate
	}{
		{"a deliver ends its send", []sim.Record{
			rec(0, sim.KindSend, 1, 2, "ping 1"),
			rec(3, sim.KindDeliver, 1, 2, "ping 1"),
		}, []fate{{0, 1, false}}},
		{"equal messages pair first in, first out", []sim.Record{
			rec(0, sim.KindSend, 1, 2, "ping 1"),
			rec(1, sim.KindSend, 1, 2, "ping 1"),
			rec(3, sim.KindDeliver, 1, 2, "ping 1"),
			rec(4, sim.KindDeliver, 1, 2, "ping 1"),
		}, []fate{{0, 2, false}, {1, 3, false}}},
		{"a duplicated message is delivered twice", []sim.Record{
			rec(0, sim.KindSend, 1, 2, "ping 1"),
			rec(0, sim.KindDuplicate, 1, 2, "ping 1"),
			rec(3, sim.KindDeliver, 1, 2, "ping 1"),
			rec(5, sim.KindDeliver, 1, 2, "ping 1"),
		}, []fate{{0, 2, false}, {1, 3, false}}},
		{"a drop right after a send ends that send, not an older one", []sim.Record{
			rec(0, sim.KindSend, 1, 2, "ping 1"),
			rec(1, sim.KindSend, 1, 2, "ping 2"),
			drop(1, 1, 2, "ping", "partitioned"),
		}, []fate{{0, -1, false}, {1, 2, true}}},
		{"a later drop ends the oldest copy of its kind on the link", []sim.Record{
			rec(0, sim.KindSend, 1, 2, "ping 1"),
			rec(1, sim.KindSend, 1, 2, "ping 2"),
			rec(1, sim.KindSend, 1, 3, "ping 3"),
			drop(4, 1, 2, "ping", "partitioned in flight"),
			rec(5, sim.KindDeliver, 1, 2, "ping 2"),
		}, []fate{{0, 3, true}, {1, 4, false}, {2, -1, false}}},
		{"a drop on arrival right after a send ends the older copy", []sim.Record{
			rec(0, sim.KindSend, 1, 2, "ping 1"),
			rec(1, sim.KindCrash, 2, 0, ""),
			rec(2, sim.KindSend, 1, 2, "ping 2"),
			drop(2, 1, 2, "ping", "destination down"),
		}, []fate{{0, 3, true}, {2, -1, false}}},
		{"a deliver skips a copy already dropped", []sim.Record{
			rec(0, sim.KindSend, 1, 2, "ping 1"),
			drop(0, 1, 2, "ping", "lost"),
			rec(2, sim.KindSend, 1, 2, "ping 1"),
			rec(4, sim.KindDeliver, 1, 2, "ping 1"),
		}, []fate{{0, 1, true}, {2, 3, false}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []fate
			for _, m := range pairMessages(tt.trace) {
				got = append(got, fate{m.send, m.end, m.dropped})
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

// pingPong is a trace of n1 and n2 exchanging pings and pongs, 2 records
// a millisecond, with a client n3.
func pingPong(records int) []sim.Record {
	var trace []sim.Record
	for i := 0; len(trace) < records; i++ {
		from, to := 1+i%2, 2-i%2
		detail := fmt.Sprintf("ping %d", i)
		trace = append(trace, rec(i, sim.KindSend, from, to, detail), rec(i+1, sim.KindDeliver, from, to, detail))
	}
	return trace[:records]
}

var arrowLine = regexp.MustCompile(`<line [^>]*marker-end="url\(#arrow\)"`)

// has reports whether the page holds want, naming only want when not.
func has(t *testing.T, page, want string) {
	t.Helper()
	if !strings.Contains(page, want) {
		t.Errorf("the page lacks %q", want)
	}
}

// lacks reports whether the page does not hold text.
func lacks(t *testing.T, page, text string) {
	t.Helper()
	if strings.Contains(page, text) {
		t.Errorf("the page holds %q", text)
	}
}

func TestWriteDrawsAWindowAroundTheViolation(t *testing.T) {
	trace := pingPong(60)
	violation := trace[39]
	var out strings.Builder
	err := Write(&out, trace, Diagram{
		Title:   "ping <pong>",
		Servers: 2,
		Nodes:   3,
		Violation: &Mark{
			At: violation.At, Nodes: []nodes.ID{2}, Title: "safety violation: no-pong",
			Detail: `n2 said "<script>alert(1)</script>" & stopped`,
		},
		Before: 10,
		After:  4,
	})
	require.NoError(t, err)
	page := out.String()

	// Records 39 and 40 share the violation's instant: the window is the
	// 10 records up to both (31..40), and 4 after.
	has(t, page, "Showing events 32 to 45 of 60")
	has(t, page, `id="violation"`)
	has(t, page, "safety violation: no-pong at ")
	has(t, page, "<title>ping &lt;pong&gt;</title>")
	lacks(t, page, "<script") // text from the trace is escaped
	has(t, page, "&lt;script&gt;alert(1)&lt;/script&gt;&#34; &amp; stopped")
	// Arrows: pings 16 to 21 have both ends in the window, ping 15 enters
	// at its top, ping 22 leaves at its bottom (drawn open).
	assert.Len(t, arrowLine.FindAllString(page, -1), 7)
	assert.Equal(t, 1, strings.Count(page, `marker-end="url(#arrow-open)"`))
	has(t, page, `<line x1="302.0" y1="4.0" x2="174.0" y2="35.0" marker-end="url(#arrow)"/>`)
	has(t, page, ">ping</text>") // arrows are labelled with the message kind
	has(t, page, "<title>n1 → n2: ping 20\nsent at 0.020000s\ndelivered at 0.021000s (+1ms)</title>")
	for _, name := range []string{">n1</text>", ">n2</text>", ">n3</text>"} {
		has(t, page, name)
	}
}

func TestWriteMarksNodesFaultsAndDrops(t *testing.T) {
	trace := []sim.Record{
		rec(0, sim.KindFact, 1, 0, "role leader epoch 1"),
		rec(1, sim.KindSend, 1, 2, "append t1"),
		rec(2, sim.KindFault, 0, 0, "isolate [[n1] [n2 n3]]"),
		drop(3, 1, 2, "append", "partitioned in flight"),
		rec(4, sim.KindSend, 1, 3, "append t1"),
		drop(4, 1, 3, "append", "partitioned"),
		rec(5, sim.KindCrash, 2, 0, ""),
		rec(6, sim.KindRestart, 2, 0, ""),
		rec(7, sim.KindHalt, 3, 0, "corrupt record 4"),
		rec(8, sim.KindFact, 1, 0, "applied 1 c4#1 put(k,v)"),
	}
	var out strings.Builder
	require.NoError(t, Write(&out, trace, Diagram{Servers: 3, Nodes: 4}))
	page := out.String()
	has(t, page, "fault: isolate [[n1] [n2 n3]]")
	assert.Equal(t, 2, strings.Count(page, `marker-end="url(#drop)"`))
	has(t, page, "lost: append")
	has(t, page, "dropped (partitioned in flight) at 0.003000s")
	has(t, page, `class="event crash"`)
	has(t, page, `class="event restart"`)
	has(t, page, ">halt: corrupt record 4</text>")
	has(t, page, `class="role leader"`)
	has(t, page, `class="life leader"`)
	has(t, page, `class="life down"`)
	has(t, page, "applied 1 c4#1 put(k,v)</title>")
	lacks(t, page, `id="violation"`)
}

func TestWriteNamesTheFaultsBeforeTheWindow(t *testing.T) {
	trace := append([]sim.Record{rec(0, sim.KindFault, 0, 0, "partition-halves [[n1] [n2]]")}, pingPong(40)[1:]...)
	var out strings.Builder
	require.NoError(t, Write(&out, trace, Diagram{Servers: 2, Before: 10}))
	page := out.String()
	has(t, page, "1 fault action(s) before this window")
	has(t, page, "<li>0.000000s partition-halves [[n1] [n2]]</li>")
	lacks(t, page, "fault: partition-halves")
}

func TestWriteAnEmptyTrace(t *testing.T) {
	var out strings.Builder
	require.NoError(t, Write(&out, nil, Diagram{Servers: 3}))
	assert.Contains(t, out.String(), "The trace is empty")
}

func TestAnnotations(t *testing.T) {
	trace := []sim.Record{
		rec(1, sim.KindFact, 1, 0, "role leader epoch 1"),
		rec(2, sim.KindFault, 0, 0, "crash-leader [n1]"),
		rec(2, sim.KindCrash, 1, 0, "torn last write"),
		rec(3, sim.KindFact, 2, 0, "role candidate epoch 2"),
		rec(4, sim.KindFact, 2, 0, "role leader epoch 2"),
		rec(5, sim.KindRestart, 1, 0, ""),
		rec(6, sim.KindHalt, 3, 0, "corrupt"),
		rec(7, sim.KindFact, 4, 0, "role leader epoch 9"), // a client: no row
		rec(9, sim.KindFact, 2, 0, "applied 1 x"),
	}
	ms := func(n int) int64 { return int64(time.Duration(n) * time.Millisecond) }
	got := Annotations(trace, 3, &Mark{At: 8 * time.Millisecond, Title: "safety violation: x", Detail: "why"})
	type row struct {
		tag, text  string
		start, end int64
	}
	var rows []row
	for _, a := range got {
		rows = append(rows, row{a.Tag, a.Description, a.Start, a.End})
	}
	assert.Equal(t, []row{
		{TagFaults, "crash-leader [n1]", ms(2), 0},
		{"n1", "leader e1", ms(1), ms(2)},
		{"n1", "down (torn last write)", ms(2), ms(5)},
		{"n1", "restart", ms(5), 0},
		{"n2", "leader e2", ms(4), ms(9)},
		{"n3", "halt: corrupt", ms(6), ms(9)},
		{TagViolation, "safety violation: x", ms(8), 0},
	}, rows)
	assert.Equal(t, "safety violation: x at 8ms\nwhy", got[len(got)-1].Details)
}
