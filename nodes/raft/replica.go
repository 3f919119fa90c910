package raft

import "github.com/consim/consim/nodes"

var _ nodes.Replica = (*Node)(nil)

// AppliedState implements nodes.Replica: lastApplied (Figure 2) and the
// digest of the state machine it produced. It only reads.
func (n *Node) AppliedState() nodes.AppliedState {
	return nodes.AppliedState{Index: n.applied, Digest: n.sm.Digest()}
}
