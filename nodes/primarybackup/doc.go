// Package primarybackup is a baseline, NOT a consensus protocol:
// asynchronous primary-backup replication of the key-value store of package
// kv, serving the same clients as Raft and Multi-Paxos. It exists to show
// what consensus buys: it is fast and correct while nothing fails, and
// loses or forks writes as soon as the network partitions.
//
// Every server pings every other one every PingInterval. A server takes
// another for dead when it has not heard from it for FailureTimeout, takes
// the lowest id it does not think dead for the primary, and serves as
// primary itself when that is its own id and it hears from a majority
// (itself included): failover by timeout, with no election, no vote and no
// epoch; a primary cut off in a minority steps down, as MongoDB's does. The
// primary applies a client command at once, at the next index of its log,
// makes it durable, answers the client, and pushes the command to the
// backups without waiting for them. A backup applies, in index order, what
// the server it takes for primary pushes, and asks for what it missed by
// reporting its applied index in its pings. Pings also say whether their
// sender serves, so that a backup can send clients to it.
//
// What is missing, on purpose: nothing makes a write wait for a backup (a
// failover loses the writes the new primary had not received yet), nothing
// makes servers agree who is primary (when a lower id comes back, from a
// crash or a partition, it takes over at once with whatever log it has),
// and nothing reconciles two logs that forked (a backup keeps what it
// applied at an index and ignores another command pushed there). The
// checkers see it: linearizability, and applied-agreement (two replicas
// apply different commands at one index).
//
// A Node is a deterministic state machine driven only through nodes.Env;
// it draws no randomness. Its log lives in env.Storage() as checksummed
// records (record.go), synced before the reply or the fact that depends on
// it. It reports kv.AppliedFact for every applied index and
// nodes.RoleChanged (leader for the primary, follower for a backup; Epoch
// is always 0: there is no notion of a leadership generation).
//
// primarybackup imports only nodes, nodes/kv and the standard library; it
// never imports network, checker, scenarios or another protocol.
package primarybackup
