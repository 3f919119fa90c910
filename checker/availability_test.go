package checker

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/consim/consim/nodes"
	"github.com/consim/consim/nodes/client"
	"github.com/consim/consim/nodes/kv"
)

func TestCheckAvailability(t *testing.T) {
	ms := time.Millisecond
	op := func(c nodes.ID, seq uint64, call, ret time.Duration) client.Op {
		return client.Op{Client: c, Cmd: kv.Command{Client: c, Seq: seq, Op: kv.OpGet, Key: "k"}, Call: call, Return: ret, Completed: ret > 0}
	}
	pending := func(c nodes.ID, seq uint64, call time.Duration) client.Op {
		return client.Op{Client: c, Cmd: kv.Command{Client: c, Seq: seq, Op: kv.OpGet, Key: "k"}, Call: call}
	}
	window := func(c nodes.ID, start, end time.Duration, quorum ...nodes.ID) AvailabilityWindow {
		return AvailabilityWindow{Client: c, Quorum: quorum, Start: start, End: end}
	}
	bound := AvailabilityBound{Settle: 100 * ms, Complete: 200 * ms}
	cases := []struct {
		name    string
		history []client.Op
		windows []AvailabilityWindow
		// wantAt is the violation's time, 0 for none; wantWaited its count.
		wantAt     time.Duration
		wantDetail string
	}{
		{name: "no windows: nothing is owed",
			history: []client.Op{pending(4, 1, 0)}},
		{name: "an operation done within the bound",
			history: []client.Op{op(4, 1, 500*ms, 650*ms)},
			windows: []AvailabilityWindow{window(4, 0, time.Second, 1, 2)}},
		{name: "an operation called in a window and never done",
			history: []client.Op{op(4, 1, 200*ms, 300*ms), pending(4, 2, 500*ms)},
			windows: []AvailabilityWindow{window(4, 0, time.Second, 1, 2)},
			wantAt:  700 * ms, wantDetail: "quorum n1,n2 was available to client n4 over 0s - 1s"},
		{name: "an operation that completes late",
			history: []client.Op{op(4, 1, 500*ms, 701*ms)},
			windows: []AvailabilityWindow{window(4, 0, time.Second, 1, 2)},
			wantAt:  700 * ms, wantDetail: "completed at 701ms"},
		{name: "a window too short to settle and complete: not judged",
			history: []client.Op{pending(4, 1, 0)},
			windows: []AvailabilityWindow{window(4, 0, 299*ms, 1, 2)}},
		{name: "a window just long enough: judged",
			history: []client.Op{pending(4, 1, 0)},
			windows: []AvailabilityWindow{window(4, 0, 300*ms, 1, 2)},
			wantAt:  300 * ms},
		{name: "an operation in flight when the window opens is judged from the settled start",
			history: []client.Op{op(4, 1, 100*ms, 1099*ms)},
			windows: []AvailabilityWindow{window(4, 800*ms, 2*time.Second, 1, 2)}},
		{name: "the same operation done a little later misses it",
			history: []client.Op{op(4, 1, 100*ms, 1101*ms)},
			windows: []AvailabilityWindow{window(4, 800*ms, 2*time.Second, 1, 2)},
			wantAt:  1100 * ms},
		{name: "an operation called too close to the window's end: not judged",
			history: []client.Op{pending(4, 1, 900*ms)},
			windows: []AvailabilityWindow{window(4, 0, time.Second, 1, 2)}},
		{name: "another client's window owes this client nothing",
			history: []client.Op{pending(4, 1, 0)},
			windows: []AvailabilityWindow{window(5, 0, time.Second, 1, 2)}},
		{name: "the earliest deadline over several windows and clients",
			history: []client.Op{pending(4, 1, 0), pending(5, 1, 0)},
			windows: []AvailabilityWindow{window(4, 500*ms, 2*time.Second, 2, 3), window(5, 0, time.Second, 1, 2)},
			wantAt:  300 * ms, wantDetail: "client n5"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			vs := CheckAvailability(c.history, c.windows, bound)
			if c.wantAt == 0 {
				assert.Empty(t, vs)
				return
			}
			require.Len(t, vs, 1)
			assert.Equal(t, InvariantAvailability, vs[0].Invariant)
			assert.Equal(t, ClassLiveness, vs[0].Class)
			assert.Equal(t, c.wantAt, vs[0].At)
			assert.Contains(t, vs[0].Detail, c.wantDetail)
		})
	}
}

func TestCheckAvailabilityNamesTheWaits(t *testing.T) {
	var history []client.Op
	for seq := uint64(1); seq <= 5; seq++ {
		history = append(history, client.Op{Client: 7, Cmd: kv.Command{Client: 7, Seq: seq, Op: kv.OpGet, Key: "k"}, Call: time.Duration(seq) * time.Millisecond})
	}
	vs := CheckAvailability(history, []AvailabilityWindow{{Client: 7, Quorum: []nodes.ID{1, 2, 3}, Start: 0, End: time.Second}},
		AvailabilityBound{Settle: 10 * time.Millisecond, Complete: 10 * time.Millisecond})
	require.Len(t, vs, 1)
	assert.Equal(t, []nodes.ID{1, 2, 3, 7}, vs[0].Nodes)
	assert.Contains(t, vs[0].Detail, "5 operation(s) waited")
	assert.Contains(t, vs[0].Detail, "and 2 more")
	assert.Equal(t, 20*time.Millisecond, vs[0].At)
}
