package network

import (
	"fmt"

	"github.com/consim/consim/nodes"
)

// Partition splits the servers into groups: servers in different groups
// cannot exchange messages, in either direction. A server named in no group
// is alone. It adds to the links already cut; Heal restores them all.
func (n *Network) Partition(groups [][]nodes.ID) error {
	group := make([]int, n.servers+1)
	for g, members := range groups {
		for _, id := range members {
			if int(id) < 1 || int(id) > n.servers {
				return fmt.Errorf("partition: node %d is not a server (1..%d)", id, n.servers)
			}
			if group[id] != 0 {
				return fmt.Errorf("partition: node %d is in two groups", id)
			}
			group[id] = g + 1
		}
	}
	for a := 1; a <= n.servers; a++ {
		if group[a] == 0 {
			group[a] = -a // alone
		}
	}
	for a := 1; a <= n.servers; a++ {
		for b := 1; b <= n.servers; b++ {
			if a != b && group[a] != group[b] {
				n.blocked[n.link(nodes.ID(a), nodes.ID(b))] = true
				n.partitioned = true
			}
		}
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

// Partitioned reports whether any link is cut.
func (n *Network) Partitioned() bool { return n.partitioned }

// Heal restores every link.
func (n *Network) Heal() {
	clear(n.blocked)
	n.partitioned = false
}
