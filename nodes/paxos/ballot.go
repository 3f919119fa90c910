package paxos

import (
	"fmt"

	"github.com/consim/consim/nodes"
)

// Ballot is a proposal number: a round and the node that owns it. Ballots
// are totally ordered, by round and then by node, and every node owns its
// own ballots, so that no two proposers ever use the same one ("Paxos Made
// Simple" §2.2: "different proposers choose their numbers from disjoint
// sets"). The zero Ballot is below every ballot a node uses; it means
// "none".
type Ballot struct {
	Round uint64
	Node  nodes.ID
}

// Less reports whether b is below c.
func (b Ballot) Less(c Ballot) bool {
	if b.Round != c.Round {
		return b.Round < c.Round
	}
	return b.Node < c.Node
}

// Compare returns -1, 0 or +1 as b is below, equal to or above c.
func (b Ballot) Compare(c Ballot) int {
	switch {
	case b.Less(c):
		return -1
	case c.Less(b):
		return 1
	}
	return 0
}

// IsZero reports whether b is the zero ballot.
func (b Ballot) IsZero() bool { return b == Ballot{} }

func (b Ballot) String() string { return fmt.Sprintf("b%d.%d", b.Round, int(b.Node)) }
