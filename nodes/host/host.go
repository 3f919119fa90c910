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
}

// Host owns the processes of one World.
type Host struct {
	world    *sim.World
	net      *network.Network
	servers  []nodes.ID
	procs    []*Proc // indexed by id; procs[0] is nil
	observer Observer
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
func (h *Host) Crash(id nodes.ID) {
	p := h.procs[id]
	if !p.up {
		return
	}
	h.world.Note(sim.KindCrash, int(id), 0, uint64(p.disk.Unsynced()), nil)
	h.down(p)
	h.observer.Crashed(id)
}

func (h *Host) down(p *Proc) {
	p.up = false
	p.node = nil
	p.timers = p.timers[:0]
	p.disk.Crash()
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

// Deliver hands a message to its destination, unless it is down.
func (h *Host) Deliver(from, to nodes.ID, m nodes.Message) {
	p := h.procs[to]
	digest := sim.HashString(m.Kind())
	if !p.up {
		h.world.Note(sim.KindDrop, int(from), int(to), digest, "destination down")
		return
	}
	h.world.Note(sim.KindDeliver, int(from), int(to), digest, m)
	p.Delivered++
	h.dispatch(p, func() { p.node.Receive(from, m) })
}

// dispatch runs one input of p, turning a panic into a report.
func (h *Host) dispatch(p *Proc, input func()) {
	defer func() {
		if v := recover(); v != nil {
			stack := debug.Stack()
			h.world.Note(sim.KindPanic, int(p.id), 0, 0, v)
			h.down(p)
			h.observer.Panicked(p.id, v, stack)
		}
	}()
	input()
}

// Handle fires a node's timer.
func (h *Host) Handle(e *sim.Event) {
	p := h.procs[e.To]
	id := nodes.TimerID(e.Ref)
	for i, t := range p.timers {
		if t.id == id {
			p.timers = append(p.timers[:i], p.timers[i+1:]...)
			h.world.Note(sim.KindTimer, int(p.id), 0, uint64(t.timer.Kind), t.timer)
			h.dispatch(p, func() { p.node.Timer(t.timer) })
			return
		}
	}
	// Cancelled, or set by an incarnation that has crashed since.
}

// pendingTimer is a timer set and not yet fired or cancelled.
type pendingTimer struct {
	id    nodes.TimerID
	timer nodes.Timer
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
	// Delivered counts messages delivered to this process.
	Delivered uint64
}

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
	p.nextTimer++
	id := p.nextTimer
	p.timers = append(p.timers, pendingTimer{id: id, timer: t})
	p.host.world.Schedule(after, sim.Event{Handler: p.host, To: int(p.id), Ref: uint64(id)})
	return id
}

func (p *Proc) CancelTimer(id nodes.TimerID) {
	for i, t := range p.timers {
		if t.id == id {
			p.timers = append(p.timers[:i], p.timers[i+1:]...)
			return
		}
	}
}

func (p *Proc) Observe(f nodes.Fact) {
	p.host.world.Note(sim.KindFact, int(p.id), 0, sim.HashString(f.Kind()), f)
	p.host.observer.Observe(p.id, f)
}
