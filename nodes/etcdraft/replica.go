package etcdraft

import "github.com/consim/consim/nodes"

var _ nodes.Replica = (*Node)(nil)

// AppliedState implements nodes.Replica: the last log index applied to the
// state machine (etcd's Applied) and the state machine's digest. It only
// reads; the RawNode is not touched.
func (n *Node) AppliedState() nodes.AppliedState {
	return nodes.AppliedState{Index: n.applied, Digest: n.sm.Digest()}
}
