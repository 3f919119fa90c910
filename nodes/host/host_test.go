package host

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/consim/consim/network"
	"github.com/consim/consim/nodes"
	"github.com/consim/consim/sim"
)

type note struct{ text string }

func (note) Kind() string { return "note" }

// probe is a node that records its inputs, writes one synced and one
// unsynced record at start, and sets a timer.
type probe struct {
	env       nodes.Env
	recovered int
	log       *[]string
	panicOn   string
}

func (p *probe) Start(env nodes.Env) {
	p.env = env
	p.recovered = len(env.Storage().Records())
	*p.log = append(*p.log, "start")
	env.Storage().Append([]byte("synced"))
	env.Storage().Sync()
	env.Storage().Append([]byte("unsynced"))
	env.SetTimer(10*time.Millisecond, nodes.Timer{Kind: 1})
	cancelled := env.SetTimer(5*time.Millisecond, nodes.Timer{Kind: 2})
	env.CancelTimer(cancelled)
	env.Observe(note{"started"})
}

func (p *probe) Receive(from nodes.ID, m nodes.Message) {
	if n := m.(note); n.text == p.panicOn {
		panic("boom: " + n.text)
	}
	*p.log = append(*p.log, "recv "+m.(note).text)
}

func (p *probe) Timer(t nodes.Timer) {
	*p.log = append(*p.log, "timer")
	p.env.Send(2, note{"tick"})
}

type observer struct {
	facts   []string
	crashed []nodes.ID
	panics  []string
	halts   []string
}

func (o *observer) Observe(node nodes.ID, f nodes.Fact)          { o.facts = append(o.facts, f.(note).text) }
func (o *observer) Crashed(node nodes.ID)                        { o.crashed = append(o.crashed, node) }
func (o *observer) Halted(node nodes.ID, c nodes.CorruptStorage) { o.halts = append(o.halts, c.Reason) }
func (o *observer) Panicked(node nodes.ID, v any, stack []byte) {
	o.panics = append(o.panics, v.(string))
}

func setup(t *testing.T) (*sim.World, *Host, *observer, *[]*probe, []*[]string) {
	t.Helper()
	w := sim.New(1, sim.Limits{MaxTime: time.Second})
	logs := []*[]string{{}, {}}
	built := &[]*probe{}
	makers := []func() nodes.Node{}
	for i := range 2 {
		makers = append(makers, func() nodes.Node {
			p := &probe{log: logs[i], panicOn: "bad"}
			*built = append(*built, p)
			return p
		})
	}
	obs := &observer{}
	h := New(w, 2, makers, obs)
	h.SetNetwork(network.New(w, network.Config{LatencyMin: time.Millisecond}, 2, 2, h))
	return w, h, obs, built, logs
}

func TestTimersFireAndCancelledTimersDoNot(t *testing.T) {
	w, h, obs, _, logs := setup(t)
	h.Boot()
	w.Run()
	assert.Equal(t, []string{"start", "timer"}, *logs[0])
	assert.Equal(t, []string{"start", "timer", "recv tick", "recv tick"}, *logs[1])
	assert.Equal(t, []string{"started", "started"}, obs.facts)
}

func TestCrashLosesMemoryTimersAndUnsyncedWrites(t *testing.T) {
	w, h, obs, built, logs := setup(t)
	h.Boot()
	require.Len(t, h.Proc(1).Disk().Records(), 2)
	h.Crash(1)
	assert.False(t, h.Proc(1).Up())
	assert.Nil(t, h.Proc(1).Node())
	assert.Equal(t, []nodes.ID{1}, obs.crashed)
	assert.Len(t, h.Proc(1).Disk().Records(), 1, "the unsynced record is lost")
	w.Run() // node 1's timer must not fire; node 2's tick to node 1 is dropped
	assert.Equal(t, []string{"start"}, *logs[0])

	h.Restart(1)
	require.Len(t, *built, 3)
	assert.Equal(t, 1, (*built)[2].recovered, "the fresh node sees only the synced record")
	assert.Equal(t, []string{"start", "start"}, *logs[0])
}

func TestNodePanicIsReportedNotFatal(t *testing.T) {
	w, h, obs, _, _ := setup(t)
	h.Boot()
	h.Proc(2).Send(1, note{"bad"})
	w.Run()
	require.Len(t, obs.panics, 1)
	assert.Equal(t, "boom: bad", obs.panics[0])
	assert.False(t, h.Proc(1).Up(), "a node that panicked is down")
}

// TestCancelledTimersLeaveTheQueue: cancelling a timer, or crashing its
// node, takes its event out of the World's queue instead of leaving it to
// fire as a no-op.
func TestCancelledTimersLeaveTheQueue(t *testing.T) {
	w, h, _, _, _ := setup(t)
	h.Boot()
	p := h.Proc(1)
	before := w.Pending()
	id := p.SetTimer(time.Second, nodes.Timer{Kind: 9})
	p.SetTimer(2*time.Second, nodes.Timer{Kind: 9})
	require.Equal(t, before+2, w.Pending())
	p.CancelTimer(id)
	assert.Equal(t, before+1, w.Pending())
	p.CancelTimer(id) // twice: nothing more to take out
	assert.Equal(t, before+1, w.Pending())
	h.Crash(1)
	assert.Less(t, w.Pending(), before, "the crashed node's timers are gone, its own included")
}
