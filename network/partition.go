package network

import (
	"fmt"
	"time"

	"github.com/consim/consim/nodes"
)

// Partition splits the servers into groups: servers in different groups
// cannot exchange messages, in either direction. A server named in no group
// is alone. It adds to the links already cut; Heal restores them all.
func (n *Network) Partition(groups [][]nodes.ID) error {
	seen := make([]bool, n.servers+1)
	for _, members := range groups {
		for _, id := range members {
			if err := n.checkServer("partition", id); err != nil {
				return err
			}
			if seen[id] {
				return fmt.Errorf("partition: node %d is in two groups", id)
			}
			seen[id] = true
		}
	}
	return n.Split(groups)
}

// Split is Partition with sides that may overlap: two servers can exchange
// messages only if some side holds both. A bridge is two sides that share
// one node; a majorities ring is one side per pair of ring neighbours.
func (n *Network) Split(sides [][]nodes.ID) error {
	together := make([]bool, (n.servers+1)*(n.servers+1))
	for _, side := range sides {
		for _, a := range side {
			if err := n.checkServer("split", a); err != nil {
				return err
			}
			for _, b := range side {
				together[int(a)*(n.servers+1)+int(b)] = true
			}
		}
	}
	for a := 1; a <= n.servers; a++ {
		for b := 1; b <= n.servers; b++ {
			if a != b && !together[a*(n.servers+1)+b] {
				n.blocked[n.link(nodes.ID(a), nodes.ID(b))] = true
				n.partitioned = true
			}
		}
	}
	return nil
}

func (n *Network) checkServer(what string, id nodes.ID) error {
	if int(id) < 1 || int(id) > n.servers {
		return fmt.Errorf("%s: node %d is not a server (1..%d)", what, id, n.servers)
	}
	return nil
}

// Isolate cuts one server off from every other server.
func (n *Network) Isolate(id nodes.ID) error {
	var rest []nodes.ID
	for s := 1; s <= n.servers; s++ {
		if nodes.ID(s) != id {
			rest = append(rest, nodes.ID(s))
		}
	}
	return n.Partition([][]nodes.ID{{id}, rest})
}

// Cut blocks messages from->to (one way); to->from still flows.
func (n *Network) Cut(from, to nodes.ID) error {
	if int(from) < 1 || int(from) > n.size || int(to) < 1 || int(to) > n.size {
		return fmt.Errorf("cut: %d->%d names a node outside 1..%d", from, to, n.size)
	}
	n.blocked[n.link(from, to)] = true
	n.partitioned = true
	return nil
}

// Clog adds delay to every message between a and b, both ways, on top of
// their latency, until Heal.
func (n *Network) Clog(a, b nodes.ID, delay time.Duration) error {
	if int(a) < 1 || int(a) > n.size || int(b) < 1 || int(b) > n.size {
		return fmt.Errorf("clog: %d<->%d names a node outside 1..%d", a, b, n.size)
	}
	n.clog[n.link(a, b)] = delay
	n.clog[n.link(b, a)] = delay
	n.partitioned = true
	return nil
}

// Partitioned reports whether any link is cut or clogged.
func (n *Network) Partitioned() bool { return n.partitioned }

// Heal restores every link.
func (n *Network) Heal() {
	clear(n.blocked)
	clear(n.clog)
	n.partitioned = false
}
