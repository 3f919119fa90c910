package primarybackup

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/consim/consim/nodes"
	"github.com/consim/consim/nodes/kv"
)

// sentMsg is one message a node sent.
type sentMsg struct {
	to  nodes.ID
	msg nodes.Message
}

// pendingTimer is a timer a node set and did not cancel.
type pendingTimer struct {
	id    nodes.TimerID
	at    time.Duration
	timer nodes.Timer
}

// fakeEnv is a nodes.Env that records what the node does, and fails the
// test when the node sends a message or reports a fact while a disk record
// is unsynced.
type fakeEnv struct {
	t         testing.TB
	self      nodes.ID
	servers   []nodes.ID
	clock     *time.Duration
	disk      *nodes.Disk
	rng       *rand.Rand
	sent      []sentMsg
	timers    []pendingTimer
	nextTimer nodes.TimerID
	facts     []nodes.Fact
}

// newEnv returns an env for server self of a cluster of the given size,
// with a fresh disk and its own clock.
func newEnv(t testing.TB, self nodes.ID, size int) *fakeEnv {
	var clock time.Duration
	servers := make([]nodes.ID, size)
	for i := range servers {
		servers[i] = nodes.ID(i + 1)
	}
	return &fakeEnv{t: t, self: self, servers: servers, clock: &clock, disk: nodes.NewDisk(), rng: rand.New(rand.NewPCG(uint64(self), 7))}
}

// restartEnv returns an env for the same server and disk, as after a crash.
func (e *fakeEnv) restartEnv() *fakeEnv {
	return &fakeEnv{t: e.t, self: e.self, servers: e.servers, clock: e.clock, disk: e.disk, rng: e.rng}
}

func (e *fakeEnv) Self() nodes.ID         { return e.self }
func (e *fakeEnv) Servers() []nodes.ID    { return e.servers }
func (e *fakeEnv) Now() time.Duration     { return *e.clock }
func (e *fakeEnv) Rand() *rand.Rand       { return e.rng }
func (e *fakeEnv) Storage() nodes.Storage { return e.disk }

func (e *fakeEnv) Send(to nodes.ID, m nodes.Message) {
	if u := e.disk.Unsynced(); u != 0 {
		e.t.Errorf("%v sent %v with %d unsynced records", e.self, m, u)
	}
	e.sent = append(e.sent, sentMsg{to: to, msg: m})
}

func (e *fakeEnv) SetTimer(after time.Duration, t nodes.Timer) nodes.TimerID {
	e.nextTimer++
	e.timers = append(e.timers, pendingTimer{id: e.nextTimer, at: *e.clock + after, timer: t})
	return e.nextTimer
}

func (e *fakeEnv) CancelTimer(id nodes.TimerID) {
	e.timers = slices.DeleteFunc(e.timers, func(p pendingTimer) bool { return p.id == id })
}

func (e *fakeEnv) Observe(f nodes.Fact) {
	if u := e.disk.Unsynced(); u != 0 {
		e.t.Errorf("%v reported %v with %d unsynced records", e.self, f, u)
	}
	e.facts = append(e.facts, f)
}

// takeSent returns and forgets the messages sent so far.
func (e *fakeEnv) takeSent() []sentMsg {
	s := e.sent
	e.sent = nil
	return s
}

// takeFacts returns and forgets the facts reported so far.
func (e *fakeEnv) takeFacts() []nodes.Fact {
	f := e.facts
	e.facts = nil
	return f
}

// firePing advances the clock to the pending ping timer and fires it.
func (e *fakeEnv) firePing(n *Node) {
	require.Len(e.t, e.timers, 1, "one pending ping timer")
	p := e.timers[0]
	e.timers = nil
	*e.clock = max(*e.clock, p.at)
	n.Timer(p.timer)
}

// advance moves the clock forward without firing timers.
func (e *fakeEnv) advance(d time.Duration) { *e.clock += d }

// msgsOf returns the sent messages of type T, in order.
func msgsOf[T nodes.Message](sent []sentMsg) []T {
	var out []T
	for _, s := range sent {
		if t, ok := s.msg.(T); ok {
			out = append(out, t)
		}
	}
	return out
}

// sentTo returns the messages of type T sent to one node, in order.
func sentTo[T nodes.Message](sent []sentMsg, to nodes.ID) []T {
	var out []T
	for _, s := range sent {
		if t, ok := s.msg.(T); ok && s.to == to {
			out = append(out, t)
		}
	}
	return out
}

// factsOf returns the facts of type T.
func factsOf[T nodes.Fact](facts []nodes.Fact) []T {
	var out []T
	for _, f := range facts {
		if t, ok := f.(T); ok {
			out = append(out, t)
		}
	}
	return out
}

// put is a client command for tests.
func put(client nodes.ID, seq uint64, key, value string) kv.Command {
	return kv.Command{Client: client, Seq: seq, Op: kv.OpPut, Key: key, Value: value}
}

// get is a client read for tests.
func get(client nodes.ID, seq uint64, key string) kv.Command {
	return kv.Command{Client: client, Seq: seq, Op: kv.OpGet, Key: key}
}

// startNode starts a node with the default config on env and forgets what
// it did at start-up.
func startNode(env *fakeEnv) *Node {
	n := New(DefaultConfig())
	n.Start(env)
	env.takeSent()
	env.takeFacts()
	return n
}
