package network

import (
	"time"

	"github.com/consim/consim/nodes"
)

// LinkState is what a message from one node to another meets now: whether
// the link is cut (a partition or a one-way cut), its extra clog delay and
// the fault model it is sent with. Reading it draws nothing and changes
// nothing, so an observer (the availability tracker) may call it at any
// time without touching the run.
type LinkState struct {
	// Cut is true while messages on the link are blocked.
	Cut bool
	// Clog is the extra delay of a clog on the link (0 if none).
	Clog time.Duration
	// LatencyMin, LatencyTailMean, DropRate, ReorderRate and
	// ReorderDelayMax are the link's parameters (see Config).
	LatencyMin, LatencyTailMean time.Duration
	DropRate, ReorderRate       float64
	ReorderDelayMax             time.Duration
}

// LinkState returns the state of the link from->to now.
func (n *Network) LinkState(from, to nodes.ID) LinkState {
	p := n.linkParams(from, to)
	return LinkState{
		Cut:             !n.Connected(from, to),
		Clog:            n.clog[n.link(from, to)],
		LatencyMin:      p.latencyMin,
		LatencyTailMean: p.latencyTailMean,
		DropRate:        p.dropRate,
		ReorderRate:     p.reorderRate,
		ReorderDelayMax: p.reorderDelayMax,
	}
}
