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
	// Links override the parameters above for single links.
	Links []Link `yaml:"links"`
}

// Link gives the messages From->To their own fault model: every parameter
// of the link replaces the global one (a zero is a zero, not "inherit").
// From or To 0 means any node. When several links match, the last wins.
type Link struct {
	From            nodes.ID      `yaml:"from"`
	To              nodes.ID      `yaml:"to"`
	LatencyMin      time.Duration `yaml:"latency_min"`
	LatencyTailMean time.Duration `yaml:"latency_tail_mean"`
	DropRate        float64       `yaml:"drop_rate"`
	DuplicateRate   float64       `yaml:"duplicate_rate"`
	ReorderRate     float64       `yaml:"reorder_rate"`
	ReorderDelayMax time.Duration `yaml:"reorder_delay_max"`
}

// params is the fault model of one link, as the network applies it.
type params struct {
	latencyMin, latencyTailMean, reorderDelayMax time.Duration
	dropRate, duplicateRate, reorderRate         float64
}

func (c Config) params() params {
	return params{c.LatencyMin, c.LatencyTailMean, c.ReorderDelayMax, c.DropRate, c.DuplicateRate, c.ReorderRate}
}

func (l Link) params() params {
	return params{l.LatencyMin, l.LatencyTailMean, l.ReorderDelayMax, l.DropRate, l.DuplicateRate, l.ReorderRate}
}

// Validate says what is wrong with c, naming the field.
func (c Config) Validate() error {
	if err := c.params().validate(); err != nil {
		return err
	}
	for i, l := range c.Links {
		if l.From < 0 || l.To < 0 {
			return fmt.Errorf("links[%d].from/to: node ids must not be negative", i)
		}
		if err := l.params().validate(); err != nil {
			return fmt.Errorf("links[%d].%w", i, err)
		}
	}
	return nil
}

func (c params) validate() error {
	for _, p := range []struct {
		name string
		v    float64
	}{{"drop_rate", c.dropRate}, {"duplicate_rate", c.duplicateRate}, {"reorder_rate", c.reorderRate}} {
		if p.v < 0 || p.v > 1 || p.v != p.v {
			return fmt.Errorf("%s: %v is not a probability in [0, 1]", p.name, p.v)
		}
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"latency_min", c.latencyMin}, {"latency_tail_mean", c.latencyTailMean}, {"reorder_delay_max", c.reorderDelayMax}} {
		if d.v < 0 {
			return fmt.Errorf("%s: %v is negative", d.name, d.v)
		}
	}
	return nil
}

// Receiver is what the network delivers to: the host of the nodes. digest
// is sim.HashString(m.Kind()), computed once at Send for every trace record
// of the message.
type Receiver interface {
	Deliver(from, to nodes.ID, m nodes.Message, digest uint64)
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
	// clog[from*(size+1)+to] is extra delay on the link while clogged.
	clog []time.Duration
	// partitioned is true while any link is blocked or clogged.
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
		clog:     make([]time.Duration, (size+1)*(size+1)),
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
	digest := n.world.HashKind(m.Kind())
	n.world.Note(sim.KindSend, int(from), int(to), digest, m)
	if !n.Connected(from, to) {
		n.drop(from, to, digest, "partitioned")
		return
	}
	p := n.linkParams(from, to)
	if p.dropRate > 0 && n.rng.Float64() < p.dropRate {
		n.drop(from, to, digest, "lost")
		return
	}
	n.schedule(from, to, m, digest, p)
	if p.duplicateRate > 0 && n.rng.Float64() < p.duplicateRate {
		n.stats.Duplicated++
		n.world.Note(sim.KindDuplicate, int(from), int(to), digest, m)
		n.schedule(from, to, m, digest, p)
	}
}

// linkParams is the fault model of the link from->to: the last matching
// Link, or the global parameters.
func (n *Network) linkParams(from, to nodes.ID) params {
	for i := len(n.config.Links) - 1; i >= 0; i-- {
		l := n.config.Links[i]
		if (l.From == 0 || l.From == from) && (l.To == 0 || l.To == to) {
			return l.params()
		}
	}
	return n.config.params()
}

func (n *Network) drop(from, to nodes.ID, digest uint64, why string) {
	n.stats.Dropped++
	var detail any // boxing the reason allocates: only while tracing
	if n.world.Tracing() {
		detail = why
	}
	n.world.Note(sim.KindDrop, int(from), int(to), digest, detail)
}

// schedule queues m's delivery; the event's Ref carries the message digest.
func (n *Network) schedule(from, to nodes.ID, m nodes.Message, digest uint64, p params) {
	delay := n.latency(p) + n.clog[n.link(from, to)]
	n.world.Schedule(delay, sim.Event{Handler: n, From: int(from), To: int(to), Ref: digest, Payload: m})
}

// latency draws one message's delay.
func (n *Network) latency(p params) time.Duration {
	d := p.latencyMin
	if p.latencyTailMean > 0 {
		d += time.Duration(n.rng.ExpFloat64() * float64(p.latencyTailMean))
	}
	if p.reorderRate > 0 && p.reorderDelayMax > 0 && n.rng.Float64() < p.reorderRate {
		d += time.Duration(n.rng.Int64N(int64(p.reorderDelayMax)))
	}
	return d
}

// Handle delivers a message whose latency has elapsed, unless its link was
// cut while it was in flight.
func (n *Network) Handle(e *sim.Event) {
	from, to := nodes.ID(e.From), nodes.ID(e.To)
	m := e.Payload.(nodes.Message)
	if !n.Connected(from, to) {
		n.drop(from, to, e.Ref, "partitioned in flight")
		return
	}
	n.stats.Delivered++
	n.receiver.Deliver(from, to, m, e.Ref)
}
