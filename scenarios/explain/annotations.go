package explain

import (
	"fmt"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/consim/consim/nodes"
	"github.com/consim/consim/sim"
)

// Annotation rows (Porcupine tags) and colours.
const (
	TagFaults    = "faults"
	TagViolation = "violation"

	colourFault     = "#ffe2b8"
	colourLeader    = "#f5d76e"
	colourDown      = "#f4c7c3"
	colourRestart   = "#c9e7d0"
	colourViolation = "#c00000"
)

// Annotations puts what the trace says about the servers on Porcupine's
// timeline of the client history (whose times are simulated nanoseconds,
// as the trace's): a "faults" row with every fault action; a row per
// server ("n1", ...) with its leaderships ("leader e3", from the role fact
// to the next role change or crash), the spans it was down (crash to
// restart, or from a halt or panic on); and, when v is set, a "violation" row
// with the violation. servers is the number of servers (ids 1..servers).
func Annotations(trace []sim.Record, servers int, v *Mark) []porcupine.Annotation {
	var out []porcupine.Annotation
	var end time.Duration
	if len(trace) > 0 {
		end = trace[len(trace)-1].At
	}
	// leading[id] and down[id] are the spans open on server id's row.
	type span struct {
		open     bool
		from     time.Duration
		text     string
		colour   string
		textFill string
	}
	leading := make([]span, servers+1)
	down := make([]span, servers+1)
	closeSpan := func(id int, s *span, at time.Duration) {
		if !s.open {
			return
		}
		out = append(out, porcupine.Annotation{
			Tag:             nodes.ID(id).String(),
			Start:           int64(s.from),
			End:             int64(at),
			Description:     s.text,
			Details:         fmt.Sprintf("%s %s from %v to %v", nodes.ID(id), s.text, s.from, at),
			BackgroundColor: s.colour,
			TextColor:       s.textFill,
		})
		*s = span{}
	}
	for _, r := range trace {
		if r.Kind == sim.KindFault {
			out = append(out, porcupine.Annotation{
				Tag:             TagFaults,
				Start:           int64(r.At),
				Description:     cut(faultText(r), 40),
				Details:         fmt.Sprintf("fault at %v: %s", r.At, faultText(r)),
				BackgroundColor: colourFault,
			})
			continue
		}
		id := subject(r)
		if id < 1 || id > servers {
			continue
		}
		switch r.Kind {
		case sim.KindFact:
			f, ok := roleOf(r)
			if !ok {
				continue
			}
			closeSpan(id, &leading[id], r.At)
			if f.Role == nodes.RoleLeader {
				leading[id] = span{open: true, from: r.At, text: fmt.Sprintf("leader e%d", f.Epoch), colour: colourLeader}
			}
		case sim.KindCrash:
			closeSpan(id, &leading[id], r.At)
			text := "down"
			if r.Detail != "" {
				text = "down (" + r.Detail + ")"
			}
			down[id] = span{open: true, from: r.At, text: text, colour: colourDown}
		case sim.KindRestart:
			closeSpan(id, &down[id], r.At)
			out = append(out, porcupine.Annotation{
				Tag: nodes.ID(id).String(), Start: int64(r.At), Description: "restart",
				Details: fmt.Sprintf("%s restarted at %v", nodes.ID(id), r.At), BackgroundColor: colourRestart,
			})
		case sim.KindHalt, sim.KindPanic:
			closeSpan(id, &leading[id], r.At)
			closeSpan(id, &down[id], r.At)
			text := r.Kind.String()
			if r.Detail != "" {
				text += ": " + r.Detail
			}
			down[id] = span{open: true, from: r.At, text: cut(text, 40), colour: colourViolation, textFill: "#fff"}
		}
	}
	for id := 1; id <= servers; id++ {
		closeSpan(id, &leading[id], end)
		closeSpan(id, &down[id], end)
	}
	if v != nil {
		out = append(out, porcupine.Annotation{
			Tag:             TagViolation,
			Start:           int64(v.At),
			Description:     v.Title,
			Details:         fmt.Sprintf("%s at %v\n%s", v.Title, v.At, v.Detail),
			TextColor:       "#fff",
			BackgroundColor: colourViolation,
		})
	}
	return out
}
