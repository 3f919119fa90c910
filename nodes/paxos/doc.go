// Package paxos implements Multi-Paxos (Lamport, "Paxos Made Simple", §2-3,
// with the stable-leader optimization of §3) as a consim node serving the
// replicated key-value store of package kv, to the same clients as Raft.
//
// Every server plays the three roles of the paper at once. As acceptor it
// keeps a promised ballot and, per log slot, the highest-ballot proposal it
// accepted. As learner it learns which value each slot has chosen and
// applies the chosen values to a kv.StateMachine strictly in slot order. As
// proposer it may become the distinguished proposer, the leader: it runs
// phase 1 (prepare/promise) once for every slot from its first unknown
// chosen slot on, adopts for each slot the value accepted in the highest
// ballot (a no-op where none was), and then, while its ballot holds, runs
// only phase 2 (accept/accepted) for new client commands, pipelined. Ballots
// are (round, node id) pairs, unique per node and totally ordered.
//
// Followers notice a failed leader by missed heartbeats, with randomized
// timeouts drawn from env.Rand(). The failure timer restarts on a message
// from a leader whose ballot this node's promise admits and when this node
// promises a new ballot (as a Raft follower's does when it grants a vote),
// never on a message it rejects or disregards: a would-be leader that cannot
// win must not keep a node from standing itself (the lesson Raft taught us,
// see raft.becomeFollower). A node that sees a higher ballot steps down.
//
// Because any node can win phase 1 (Paxos has no up-to-date check), a node
// that cannot hear the leader would otherwise take over as soon as its
// timer fires, and partial partitions (a bridge, a ring of overlapping
// majorities) would flip leadership back and forth. So a follower that
// heard from its leader within FailureTimeoutMin disregards Prepares from
// other nodes, and a leader disregards them while its lease holds (a
// majority answered it within FailureTimeoutMin); a leader whose lease
// lapses steps down (Raft §6 and etcd's check quorum). A leader whose
// ballot an acceptor rejects while its lease holds campaigns again at once
// with a higher ballot, so that a node that kept raising its promise while
// cut off rejoins without stalling the cluster.
//
// A Node is a pure deterministic state machine driven only through
// nodes.Env. It never starts goroutines, reads the wall clock, draws from a
// global random source, or lets Go map order reach an output. Durable state
// (the promise, the accepted proposals and the learned values) lives in
// env.Storage() as checksummed records (record.go) and is synced before any
// message that depends on it; the facts of facts.go report it to the
// checkers after that sync.
//
// Config.Bugs switches on deliberately broken variants so that tests can
// check that the checkers catch them, and sets Flexible Paxos quorum sizes
// (safe while phase-1 and phase-2 quorums intersect); the zero value is
// correct Multi-Paxos with majority quorums.
//
// paxos imports only nodes, nodes/kv and the standard library; it never
// imports network, checker, scenarios or another protocol.
package paxos
