package paxos

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
	from, to nodes.ID
	msg      nodes.Message
}

// pendingTimer is a timer a node set and did not cancel.
type pendingTimer struct {
	id    nodes.TimerID
	at    time.Duration
	timer nodes.Timer
}

// fakeEnv is a nodes.Env that records what the node does, and fails the
// test when the node sends a message or reports a durable fact while a disk
// record is unsynced.
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
	// onSend, if set, is called at every Send.
	onSend func(sentMsg)
}

// newEnv returns an env for server self of a cluster of the given size, with
// a fresh disk and its own clock.
func newEnv(t testing.TB, self nodes.ID, size int) *fakeEnv {
	var clock time.Duration
	return &fakeEnv{
		t:       t,
		self:    self,
		servers: serverIDs(size),
		clock:   &clock,
		disk:    nodes.NewDisk(),
		rng:     rand.New(rand.NewPCG(uint64(self), 42)),
	}
}

func serverIDs(size int) []nodes.ID {
	ids := make([]nodes.ID, size)
	for i := range ids {
		ids[i] = nodes.ID(i + 1)
	}
	return ids
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
	s := sentMsg{from: e.self, to: to, msg: m}
	if e.onSend != nil {
		e.onSend(s)
	}
	e.sent = append(e.sent, s)
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
	switch f.(type) {
	case PromiseFact, AcceptFact, LearnFact:
		if u := e.disk.Unsynced(); u != 0 {
			e.t.Errorf("%v reported %v with %d unsynced records", e.self, f, u)
		}
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

// timer returns the pending timer of the given kind.
func (e *fakeEnv) timer(kind int) (pendingTimer, bool) {
	for _, p := range e.timers {
		if p.timer.Kind == kind {
			return p, true
		}
	}
	return pendingTimer{}, false
}

// fire advances the clock to the pending timer of the given kind and fires
// it at n.
func (e *fakeEnv) fire(n *Node, kind int) {
	p, ok := e.timer(kind)
	require.True(e.t, ok, "no pending timer of kind %d", kind)
	e.CancelTimer(p.id)
	*e.clock = max(*e.clock, p.at)
	n.Timer(p.timer)
}

// advance moves the clock forward without firing timers.
func (e *fakeEnv) advance(d time.Duration) { *e.clock += d }

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

// put is a client command for tests.
func put(client nodes.ID, seq uint64, key, value string) kv.Command {
	return kv.Command{Client: client, Seq: seq, Op: kv.OpPut, Key: key, Value: value}
}

// ballot is a shorthand for Ballot{round, node}.
func ballot(round uint64, node nodes.ID) Ballot { return Ballot{Round: round, Node: node} }

// startNode starts a node with cfg on env and forgets the start-up facts.
func startNode(env *fakeEnv, cfg Config) *Node {
	n := New(cfg)
	n.Start(env)
	env.takeFacts()
	return n
}

// campaign fires n's failure timer and returns the Prepare it sent.
func campaign(t testing.TB, n *Node, env *fakeEnv) Prepare {
	env.fire(n, timerFailure)
	require.Equal(t, nodes.RoleCandidate, n.role)
	prepares := msgsOf[Prepare](env.takeSent())
	require.Len(t, prepares, len(env.servers)-1)
	return prepares[0]
}

// newLeader starts server 1 of a cluster of size on a fresh disk and makes
// it leader with empty promises from a majority; the start-up messages and
// facts are forgotten.
func newLeader(t testing.TB, size int, cfg Config) (*Node, *fakeEnv) {
	env := newEnv(t, 1, size)
	n := startNode(env, cfg)
	p := campaign(t, n, env)
	for id := nodes.ID(2); n.role == nodes.RoleCandidate; id++ {
		n.Receive(id, Promise{Ballot: p.Ballot, From: p.From})
	}
	require.Equal(t, nodes.RoleLeader, n.role)
	env.takeSent()
	env.takeFacts()
	return n, env
}

// durable replays what the disk holds now.
func durable(d *nodes.Disk) durableState { return replay(d.Records()) }
