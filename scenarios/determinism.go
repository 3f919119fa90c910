package scenarios

import (
	"fmt"

	"github.com/consim/consim/sim"
)

// Divergence is where two runs of the same seed first differ.
type Divergence struct {
	// Index is the position of the first differing trace record; the
	// records before it are identical.
	Index int
	// First and Second are the records at Index in each run (zero if a
	// run ended there).
	First, Second sim.Record
	// FirstLen and SecondLen are the lengths of the two traces.
	FirstLen, SecondLen int
}

func (d Divergence) String() string {
	describe := func(r sim.Record, n int) string {
		if d.Index >= n {
			return "(the run had ended)"
		}
		return fmt.Sprintf("%v %s %d->%d %s", r.At, r.Kind, r.From, r.To, r.Detail)
	}
	return fmt.Sprintf("the runs diverge at event %d: first run: %s; second run: %s",
		d.Index, describe(d.First, d.FirstLen), describe(d.Second, d.SecondLen))
}

// CheckDeterminism runs s twice under o with the full trace and compares
// them record by record. It returns nil when the traces (and so the
// fingerprints) are identical, else the first divergent event.
func CheckDeterminism(s Scenario, o Options) (*Divergence, error) {
	o.Trace = true
	a, err := Run(s, o)
	if err != nil {
		return nil, err
	}
	b, err := Run(s, o)
	if err != nil {
		return nil, err
	}
	return diverge(a.Trace, b.Trace), nil
}

func diverge(a, b []sim.Record) *Divergence {
	n := min(len(a), len(b))
	for i := 0; i <= n; i++ {
		if i == n {
			if len(a) == len(b) {
				return nil
			}
		} else if a[i] == b[i] {
			continue
		}
		d := &Divergence{Index: i, FirstLen: len(a), SecondLen: len(b)}
		if i < len(a) {
			d.First = a[i]
		}
		if i < len(b) {
			d.Second = b[i]
		}
		return d
	}
	return nil
}
