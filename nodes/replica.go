package nodes

// Replica is an optional interface of a server node that holds a replicated
// state machine. The runner calls it once, after the World has stopped, on
// every server that is up, to judge convergence (checker.CheckConvergence):
// at the end of a run every live replica must have applied what the cluster
// committed, and replicas must hold the same state at the same index. Our
// Raft, Multi-Paxos and the etcd adapter implement it; a node that does not
// is left out of that check.
//
// AppliedState must only read: it must not send, set timers, draw from
// Rand, touch Storage or report facts, so that asking changes nothing about
// the run.
type Replica interface {
	AppliedState() AppliedState
}

// AppliedState is what a replica's state machine holds in its current
// incarnation.
type AppliedState struct {
	// Index is the log index (or Paxos slot) of the last command applied
	// to the state machine: commands 1..Index have taken effect, in order
	// (a restored snapshot counts as applying those it covers). 0 when
	// nothing has been applied since the node (re)started.
	Index uint64
	// Digest is the state machine's digest after Index (kv's
	// StateMachine.Digest: data and client sessions, independent of map
	// order), so that two replicas at the same Index can be compared.
	Digest uint64
}
