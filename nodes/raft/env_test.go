package raft

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/consim/consim/nodes"
	"github.com/consim/consim/nodes/kv"
)

// sentMsg is one message a node sent, with the number of unsynced disk
// records at the moment of Send (must be 0: sync before reply).
type sentMsg struct {
	from, to nodes.ID
	msg      nodes.Message
	unsynced int
}

// pendingTimer is a timer a node set and did not cancel.
type pendingTimer struct {
	id    nodes.TimerID
	at    time.Duration
	timer nodes.Timer
}

// fakeEnv is a nodes.Env that records what the node does.
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

// newEnv returns an env for server self of a cluster of size servers, with a
// fresh disk and its own clock.
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
	s := sentMsg{from: e.self, to: to, msg: byValue(m), unsynced: e.disk.Unsynced()}
	if s.unsynced != 0 {
		e.t.Errorf("%v sent %v with %d unsynced records", e.self, m, s.unsynced)
	}
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
	switch p := f.(type) { // the node reuses what a pointer points to
	case *LogFact:
		f = *p
	case *HardStateFact:
		f = *p
	case *kv.AppliedFact:
		f = *p
	}
	if lf, ok := f.(LogFact); ok { // valid only during Observe
		lf.Entries = slices.Clone(lf.Entries)
		f = lf
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

// byValue returns a message the node sent by pointer (see outbox) as the
// value it points to, so that tests compare and build messages as values.
func byValue(m nodes.Message) nodes.Message {
	switch m := m.(type) {
	case *AppendEntries:
		return *m
	case *AppendEntriesReply:
		return *m
	}
	return m
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

// put is a client command for tests.
func put(client nodes.ID, seq uint64, key, value string) kv.Command {
	return kv.Command{Client: client, Seq: seq, Op: kv.OpPut, Key: key, Value: value}
}

// entries builds a log with the given terms (see entriesFrom).
func entries(terms ...uint64) []Entry { return entriesFrom(1, terms...) }

// entriesFrom builds the entries at first, first+1, ... with the given terms;
// the entry at index i of term t is the same command wherever it is built.
func entriesFrom(first uint64, terms ...uint64) []Entry {
	es := make([]Entry, len(terms))
	for k, t := range terms {
		i := first + uint64(k)
		es[k] = Entry{Term: t, Cmd: put(9, i, fmt.Sprintf("k%d", i), fmt.Sprintf("v%d@t%d", i, t))}
	}
	return es
}

// seedDisk writes a durable state onto the disk, as a node would have.
func seedDisk(d *nodes.Disk, hs hardState, log []Entry) {
	d.Append(encodeLog(0, log))
	d.Append(encodeHardState(hs))
	d.Sync()
}

// startNode starts a node with cfg on env and forgets the start-up facts.
func startNode(env *fakeEnv, cfg Config) *Node {
	n := New(cfg)
	n.Start(env)
	env.takeFacts()
	return n
}

// electLeader makes node n (on env) win an election by timing out and
// receiving votes from a majority, granted the pre-votes first under
// Config.PreVote; it returns the messages it sent as leader.
func electLeader(t testing.TB, n *Node, env *fakeEnv) []sentMsg {
	env.fire(n, timerElection)
	if n.cfg.PreVote {
		require.Equal(t, RolePreCandidate, n.role)
		env.takeSent()
		grantVotes(n, env, RolePreCandidate, RequestVoteReply{Term: n.term + 1, Granted: true, PreVote: true})
		require.Equal(t, nodes.RoleCandidate, n.role)
	}
	require.Contains(t, []nodes.Role{nodes.RoleCandidate, nodes.RoleLeader}, n.role)
	env.takeSent()
	grantVotes(n, env, nodes.RoleCandidate, RequestVoteReply{Term: n.term, Granted: true})
	require.Equal(t, nodes.RoleLeader, n.role)
	return env.takeSent()
}

// grantVotes delivers reply from every other server while n stays in role.
func grantVotes(n *Node, env *fakeEnv, role nodes.Role, reply RequestVoteReply) {
	for _, id := range env.servers {
		if id != env.self && n.role == role {
			n.Receive(id, reply)
		}
	}
}

// durable replays what the disk holds now.
func durable(d *nodes.Disk) durableState { return replay(d.Records()) }
