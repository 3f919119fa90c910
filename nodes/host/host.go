// Package host runs nodes inside a sim.World: it gives each node its Env
// (network, clock, timers, random stream, disk, fact reporting), delivers
// messages and fired timers to it, and crashes and restarts it.
//
// A crash discards the node's memory, its pending timers and its unsynced
// disk writes; a restart builds a fresh node that recovers from its disk. A
// panic inside a node is recovered and reported to the Observer, so that the
// run ends as a failure with its seed instead of killing the process.
//
// host imports sim, network and nodes; never a protocol, checker or
// scenarios.
package host

import (
	"fmt"
	"math/rand/v2"
	"runtime/debug"
	"time"

	"github.com/consim/consim/network"
	"github.com/consim/consim/nodes"
	"github.com/consim/consim/sim"
)

// Observer receives what the nodes report.
type Observer interface {
	// Observe receives a fact reported by node.
	Observe(node nodes.ID, f nodes.Fact)
	// Crashed says that node crashed (its volatile state is gone).
	Crashed(node nodes.ID)
	// Panicked says that node panicked while handling an input; the node
	// is treated as crashed.
	Panicked(node nodes.ID, value any, stack []byte)
	// Halted says that node found its storage corrupt and stopped for good
	// (fail-stop); it stays down until restarted.
	Halted(node nodes.ID, reason nodes.CorruptStorage)
}

// Event codes of the host's own events.
const (
	codeTimer  = iota // Ref: the timer id
	codeResume        // a pause ends
)

// Host owns the processes of one World.
type Host struct {
	world    *sim.World
	net      *network.Network
	servers  []nodes.ID
	procs    []*Proc // indexed by id; procs[0] is nil
	observer Observer
	// disk is the stream that decides disk damage; made on first use.
	disk *rand.Rand
}

// New returns a host in w for processes 1..len(makers); makers[i] builds
// the node with id i+1 (fresh at boot and at every restart). The first
// `servers` ids are servers. Call SetNetwork before Boot.
func New(w *sim.World, servers int, makers []func() nodes.Node, observer Observer) *Host {
	h := &Host{world: w, observer: observer, procs: make([]*Proc, len(makers)+1)}
	for i := 1; i <= servers; i++ {
		h.servers = append(h.servers, nodes.ID(i))
	}
	for i, mk := range makers {
		id := nodes.ID(i + 1)
		kind := "server"
		if i >= servers {
			kind = "client"
		}
		h.procs[id] = &Proc{
			host: h,
			id:   id,
			make: mk,
			disk: nodes.NewDisk(),
			rng:  w.Stream(fmt.Sprintf("%s/%d", kind, id)),
		}
	}
	return h
}

// SetNetwork connects the host to the network its nodes send on.
func (h *Host) SetNetwork(n *network.Network) { h.net = n }

// Boot starts every process, in id order.
func (h *Host) Boot() {
	for _, p := range h.procs[1:] {
		h.start(p)
	}
}

// Proc returns the process with the given id.
func (h *Host) Proc(id nodes.ID) *Proc { return h.procs[id] }

// Size is the number of processes.
func (h *Host) Size() int { return len(h.procs) - 1 }

// Servers lists the server ids.
func (h *Host) Servers() []nodes.ID { return h.servers }

// Crash stops process id: its memory, timers and unsynced writes are lost.
// Crashing a crashed process does nothing.
func (h *Host) Crash(id nodes.ID) { h.CrashDamaged(id, nodes.DamageNone) }

// CrashDamaged is Crash that also damages the disk (a torn last write or a
// corrupted synced record), drawing from the host's disk stream. It reports
// whether damage was done.
func (h *Host) CrashDamaged(id nodes.ID, damage nodes.Damage) bool {
	p := h.procs[id]
	if !p.up {
		return false
	}
	h.world.Note(sim.KindCrash, int(id), 0, uint64(p.disk.Unsynced())<<8|uint64(damage), damageNames[damage])
	h.stop(p)
	damaged := p.disk.CrashDamaged(damage, h.diskRng().IntN)
	h.observer.Crashed(id)
	return damaged
}

var damageNames = [...]string{nodes.DamageNone: "", nodes.DamageTorn: "torn last write", nodes.DamageCorrupt: "corrupted synced record"}

func (h *Host) diskRng() *rand.Rand {
	if h.disk == nil {
		h.disk = h.world.Stream("disk")
	}
	return h.disk
}

// stop discards the process's incarnation: memory, timers, pause, drift.
func (h *Host) stop(p *Proc) {
	p.up = false
	p.node = nil
	for _, t := range p.timers {
		h.world.Cancel(t.ticket)
	}
	p.timers = p.timers[:0]
	p.backlog = p.backlog[:0]
	p.paused = false
	p.drift = 0
}

func (h *Host) down(p *Proc) {
	h.stop(p)
	p.disk.Crash()
}

// Pause makes process id take no input for d: messages and fired timers
// wait, and are handled in the order they came when it resumes. Pausing a
// paused process extends the pause. A crash ends the pause.
func (h *Host) Pause(id nodes.ID, d time.Duration) {
	p := h.procs[id]
	if !p.up {
		return
	}
	p.pauses++
	p.paused = true
	h.world.Schedule(d, sim.Event{Handler: h, Code: codeResume, To: int(id), Ref: p.pauses})
}

// Drift makes process id's timers run factor times as fast from now on (a
// timer set for t fires after t/factor). Factor 1 ends the drift. A restart
// ends it too.
func (h *Host) Drift(id nodes.ID, factor float64) {
	if factor == 1 {
		factor = 0
	}
	h.procs[id].drift = factor
}

// Calm ends every pause and drift now.
func (h *Host) Calm() {
	for _, p := range h.procs[1:] {
		p.drift = 0
		if p.paused {
			h.resume(p)
		}
	}
}

func (h *Host) resume(p *Proc) {
	p.paused = false
	h.world.Note(sim.KindFault, int(p.id), 0, uint64(len(p.backlog)), "resume")
	for len(p.backlog) > 0 && p.up && !p.paused {
		in := p.backlog[0]
		p.backlog = p.backlog[1:]
		if in.message != nil {
			h.handOver(p, in.from, in.message, in.digest)
		} else {
			h.fire(p, in.timer)
		}
	}
	if len(p.backlog) == 0 {
		p.backlog = nil
	}
}

// Restart boots a fresh node for a crashed process. Restarting a running
// process does nothing.
func (h *Host) Restart(id nodes.ID) {
	p := h.procs[id]
	if p.up {
		return
	}
	h.world.Note(sim.KindRestart, int(id), 0, 0, nil)
	h.start(p)
}

func (h *Host) start(p *Proc) {
	p.up = true
	p.node = p.make()
	h.dispatch(p, func() { p.node.Start(p) })
}

// Deliver hands a message to its destination, unless it is down; digest
// is the message's trace digest (see network.Receiver).
func (h *Host) Deliver(from, to nodes.ID, m nodes.Message, digest uint64) {
	p := h.procs[to]
	if !p.up {
		h.world.Note(sim.KindDrop, int(from), int(to), digest, "destination down")
		return
	}
	if p.paused {
		p.backlog = append(p.backlog, input{from: from, message: m, digest: digest})
		return
	}
	h.handOver(p, from, m, digest)
}

func (h *Host) handOver(p *Proc, from nodes.ID, m nodes.Message, digest uint64) {
	h.world.Note(sim.KindDeliver, int(from), int(p.id), digest, m)
	p.Delivered++
	h.dispatch(p, func() { p.node.Receive(from, m) })
}

// dispatch runs one input of p, turning a panic into a report.
func (h *Host) dispatch(p *Proc, input func()) {
	defer func() {
		if v := recover(); v != nil {
			if corrupt, ok := v.(nodes.CorruptStorage); ok {
				h.world.Note(sim.KindHalt, int(p.id), 0, 0, corrupt)
				h.down(p)
				h.observer.Halted(p.id, corrupt)
				return
			}
			stack := debug.Stack()
			h.world.Note(sim.KindPanic, int(p.id), 0, 0, v)
			h.down(p)
			h.observer.Panicked(p.id, v, stack)
		}
	}()
	input()
}

// Handle fires a node's timer, or ends a pause.
func (h *Host) Handle(e *sim.Event) {
	p := h.procs[e.To]
	if e.Code == codeResume {
		if p.paused && e.Ref == p.pauses {
			h.resume(p)
		}
		return
	}
	id := nodes.TimerID(e.Ref)
	for i, t := range p.timers {
		if t.id == id {
			p.timers = append(p.timers[:i], p.timers[i+1:]...)
			if p.paused {
				p.backlog = append(p.backlog, input{timer: t.timer})
				return
			}
			h.fire(p, t.timer)
			return
		}
	}
	// Cancelled, or set by an incarnation that has crashed since: both
	// take the event out of the queue, so this is not reached.
}

func (h *Host) fire(p *Proc, t nodes.Timer) {
	var detail any // boxing the timer allocates: only while tracing
	if h.world.Tracing() {
		detail = t
	}
	h.world.Note(sim.KindTimer, int(p.id), 0, uint64(t.Kind), detail)
	h.dispatch(p, func() { p.node.Timer(t) })
}

// input is a message or a fired timer that waits for a paused process.
type input struct {
	from    nodes.ID
	message nodes.Message // nil for a timer
	digest  uint64        // the message's trace digest
	timer   nodes.Timer
}

// pendingTimer is a timer set and not yet fired or cancelled.
type pendingTimer struct {
	id    nodes.TimerID
	timer nodes.Timer
	// ticket is the World event that fires it: cancelling the timer takes
	// the event out of the queue.
	ticket sim.Ticket
}

// Proc is one process: the node's current incarnation and what outlives it
// (disk, random stream). It is the node's Env.
type Proc struct {
	host *Host
	id   nodes.ID
	make func() nodes.Node
	// node is the current incarnation; nil while down.
	node nodes.Node
	up   bool
	disk *nodes.Disk
	rng  *rand.Rand
	// timers are the pending timers of the current incarnation, in the
	// order they were set. Kept small: nodes hold a handful at a time.
	timers    []pendingTimer
	nextTimer nodes.TimerID
	// paused is true while the process takes no input; backlog holds
	// what arrived meanwhile, in order. pauses numbers the pauses so that
	// only the latest one's resume event ends it.
	paused  bool
	backlog []input
	pauses  uint64
	// drift is the speed of the process's timers (0 means 1).
	drift float64
	// Delivered counts messages delivered to this process.
	Delivered uint64
}

// Paused reports whether the process is paused.
func (p *Proc) Paused() bool { return p.paused }

// Up reports whether the process is running.
func (p *Proc) Up() bool { return p.up }

// Node returns the current incarnation (nil while down).
func (p *Proc) Node() nodes.Node { return p.node }

// Disk returns the process's disk.
func (p *Proc) Disk() *nodes.Disk { return p.disk }

func (p *Proc) Self() nodes.ID         { return p.id }
func (p *Proc) Servers() []nodes.ID    { return p.host.servers }
func (p *Proc) Now() time.Duration     { return p.host.world.Now() }
func (p *Proc) Rand() *rand.Rand       { return p.rng }
func (p *Proc) Storage() nodes.Storage { return p.disk }
func (p *Proc) Send(to nodes.ID, m nodes.Message) {
	if int(to) < 1 || int(to) >= len(p.host.procs) {
		panic(fmt.Sprintf("host: node %d sends %s to unknown node %d", p.id, m.Kind(), to))
	}
	p.host.net.Send(p.id, to, m)
}

func (p *Proc) SetTimer(after time.Duration, t nodes.Timer) nodes.TimerID {
	if p.drift != 0 {
		after = time.Duration(float64(after) / p.drift)
	}
	p.nextTimer++
	id := p.nextTimer
	ticket := p.host.world.Schedule(after, sim.Event{Handler: p.host, Code: codeTimer, To: int(p.id), Ref: uint64(id)})
	p.timers = append(p.timers, pendingTimer{id: id, timer: t, ticket: ticket})
	return id
}

func (p *Proc) CancelTimer(id nodes.TimerID) {
	for i, t := range p.timers {
		if t.id == id {
			p.host.world.Cancel(t.ticket)
			p.timers = append(p.timers[:i], p.timers[i+1:]...)
			return
		}
	}
}

func (p *Proc) Observe(f nodes.Fact) {
	if _, quiet := f.(nodes.QuietFact); !quiet {
		p.host.world.Note(sim.KindFact, int(p.id), 0, p.host.world.HashKind(f.Kind()), f)
	}
	p.host.observer.Observe(p.id, f)
}
