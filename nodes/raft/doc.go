// Package raft implements the Raft consensus protocol (Ongaro and Ousterhout,
// "In Search of an Understandable Consensus Algorithm", extended version,
// §5 and Figure 2) as a consim node serving the replicated key-value store of
// package kv.
//
// A Node is a pure deterministic state machine in the style of etcd-io/raft:
// it is driven only through nodes.Env (a delivered message, a fired timer,
// Start) and never starts goroutines, reads the wall clock, draws from a
// global random source, or lets Go map order reach an output. Every random
// draw comes from env.Rand(). Role changes happen only in becomeFollower,
// becomeCandidate and becomeLeader, and each role has its own step function.
//
// Durable state (term, vote, commit index, log and snapshot) lives in
// env.Storage() as a write-ahead log of records (see record.go) and is synced
// before any message or action that depends on it. The facts of facts.go
// report that durable state to the checkers.
//
// With Config.SnapshotEvery set, the log is compacted (§7, snapshot.go): a
// node snapshots its state machine, sessions included, and drops the entries
// the snapshot covers; a leader sends a follower that needs dropped entries
// its whole snapshot in one InstallSnapshot message (Figure 13, without
// chunking).
//
// Config.Bugs switches on deliberately broken variants so that tests can
// check that the checkers catch them; the zero value is correct Raft.
//
// raft imports only nodes, nodes/kv and the standard library; it never
// imports network, checker, scenarios or another protocol.
package raft
