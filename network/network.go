// Package network is consim's virtual network: it carries messages between
// nodes inside one sim.World with a latency drawn from a distribution (a
// minimum plus an exponential tail), and loses, duplicates, reorders and
// partitions them. Every decision is drawn from the network's own random
// stream, so the same seed makes the same decisions.
//
// The zero Config is a perfect network with zero latency. Partitions apply
// to links between servers; clients reach every server unless a one-way cut
// names the client.
//
// network imports sim and nodes (for ids and messages), never a protocol,
// checker or scenarios.
package network

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/consim/consim/nodes"
	"github.com/consim/consim/sim"
)

// Config is the fault model of the links. Every probability is in [0, 1].
type Config struct {
	// LatencyMin is the smallest one-way delay of a message.
	LatencyMin time.Duration `yaml:"latency_min"`
	// LatencyTailMean is the mean of the exponentially distributed delay
	// added to LatencyMin.
	LatencyTailMean time.Duration `yaml:"latency_tail_mean"`
	// DropRate is the probability that a message is lost.
	DropRate float64 `yaml:"drop_rate"`
	// DuplicateRate is the probability that a message is delivered twice
	// (each copy with its own latency).
	DuplicateRate float64 `yaml:"duplicate_rate"`
	// ReorderRate is the probability that a message is held back by an
	// extra delay drawn uniformly from [0, ReorderDelayMax), so that later
	// messages on the same link overtake it.
	ReorderRate float64 `yaml:"reorder_rate"`
	// ReorderDelayMax bounds the extra delay of a reordered message.
	ReorderDelayMax time.Duration `yaml:"reorder_delay_max"`
}

// Validate says what is wrong with c, naming the field.
func (c Config) Validate() error {
	for _, p := range []struct {
		name string
		v    float64
	}{{"drop_rate", c.DropRate}, {"duplicate_rate", c.DuplicateRate}, {"reorder_rate", c.ReorderRate}} {
		if p.v < 0 || p.v > 1 || p.v != p.v {
			return fmt.Errorf("%s: %v is not a probability in [0, 1]", p.name, p.v)
		}
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"latency_min", c.LatencyMin}, {"latency_tail_mean", c.LatencyTailMean}, {"reorder_delay_max", c.ReorderDelayMax}} {
		if d.v < 0 {
			return fmt.Errorf("%s: %v is negative", d.name, d.v)
		}
	}
	return nil
}

// Receiver is what the network delivers to: the host of the nodes.
type Receiver interface {
	Deliver(from, to nodes.ID, m nodes.Message)
}

// Stats counts what the network did.
type Stats struct {
	Sent       uint64 `json:"sent"`
	Delivered  uint64 `json:"delivered"`
	Dropped    uint64 `json:"dropped"`
	Duplicated uint64 `json:"duplicated"`
}

// Network carries messages among endpoints 1..size.
type Network struct {
	world    *sim.World
	rng      *rand.Rand
	config   Config
	receiver Receiver
	// servers is the number of servers; ids above it are clients.
	servers int
	// size is the highest endpoint id.
	size int
	// blocked[from*(size+1)+to] is true while messages from->to are cut.
	blocked []bool
	// partitioned is true while any link is blocked.
	partitioned bool
	stats       Stats
}

// New returns a network in w between servers 1..servers and clients
// servers+1..size, delivering to receiver.
func New(w *sim.World, config Config, servers, size int, receiver Receiver) *Network {
	return &Network{
		world:    w,
		rng:      w.Stream("network"),
		config:   config,
		receiver: receiver,
		servers:  servers,
		size:     size,
		blocked:  make([]bool, (size+1)*(size+1)),
	}
}

// Stats returns the counters so far.
func (n *Network) Stats() Stats { return n.stats }

// Config returns the current link configuration.
func (n *Network) Config() Config { return n.config }

// SetConfig changes the link configuration from now on.
func (n *Network) SetConfig(c Config) { n.config = c }

func (n *Network) link(from, to nodes.ID) int { return int(from)*(n.size+1) + int(to) }

// Connected reports whether a message from->to can pass now.
func (n *Network) Connected(from, to nodes.ID) bool {
	return !n.blocked[n.link(from, to)]
}

// Send hands m to the network. The network decides, from its own stream,
// whether it is dropped, duplicated or delayed, and schedules delivery.
func (n *Network) Send(from, to nodes.ID, m nodes.Message) {
	n.stats.Sent++
	digest := sim.HashString(m.Kind())
	n.world.Note(sim.KindSend, int(from), int(to), digest, m)
	if !n.Connected(from, to) {
		n.drop(from, to, digest, "partitioned")
		return
	}
	if n.config.DropRate > 0 && n.rng.Float64() < n.config.DropRate {
		n.drop(from, to, digest, "lost")
		return
	}
	n.schedule(from, to, m)
	if n.config.DuplicateRate > 0 && n.rng.Float64() < n.config.DuplicateRate {
		n.stats.Duplicated++
		n.world.Note(sim.KindDuplicate, int(from), int(to), digest, m)
		n.schedule(from, to, m)
	}
}

func (n *Network) drop(from, to nodes.ID, digest uint64, why string) {
	n.stats.Dropped++
	n.world.Note(sim.KindDrop, int(from), int(to), digest, why)
}

func (n *Network) schedule(from, to nodes.ID, m nodes.Message) {
	n.world.Schedule(n.latency(), sim.Event{Handler: n, From: int(from), To: int(to), Payload: m})
}

// latency draws one message's delay.
func (n *Network) latency() time.Duration {
	d := n.config.LatencyMin
	if n.config.LatencyTailMean > 0 {
		d += time.Duration(n.rng.ExpFloat64() * float64(n.config.LatencyTailMean))
	}
	if n.config.ReorderRate > 0 && n.config.ReorderDelayMax > 0 && n.rng.Float64() < n.config.ReorderRate {
		d += time.Duration(n.rng.Int64N(int64(n.config.ReorderDelayMax)))
	}
	return d
}

// Handle delivers a message whose latency has elapsed, unless its link was
// cut while it was in flight.
func (n *Network) Handle(e *sim.Event) {
	from, to := nodes.ID(e.From), nodes.ID(e.To)
	m := e.Payload.(nodes.Message)
	if !n.Connected(from, to) {
		n.drop(from, to, sim.HashString(m.Kind()), "partitioned in flight")
		return
	}
	n.stats.Delivered++
	n.receiver.Deliver(from, to, m)
}
