// Package checker judges a simulated run: it decides whether what the nodes
// and clients did is allowed.
//
// Two kinds of judges live here:
//
//   - Online checkers (Raft invariants, applied agreement) implement [Online]:
//     they read the facts nodes report through nodes.Env.Observe as they
//     happen, keep a shadow copy of what each node has made durable, and
//     return the violations a fact reveals at that very event, so the runner
//     can stop a run at the first one and show the messages around it.
//   - Offline checkers read the client history after the run:
//     [CheckLinearizable] (Porcupine over a key-value model partitioned by
//     key) and [CheckLiveness] (operations complete within a bound once the
//     faults have healed).
//
// Every verdict is a [Violation] with a [Class]: safety, linearizability,
// liveness, unknown (Porcupine ran out of time, which is never a pass) or
// crash (a node panicked). The runner fills in the seed.
//
// The checkers are deterministic: no goroutines of their own, no clocks, and
// no map iteration order reaches an output. (Porcupine runs one goroutine
// per partition internally; its verdict does not depend on their schedule,
// except that a timeout can turn Ok or Illegal into Unknown.)
//
// checker is read-only towards the protocols: it may import the fact types
// of the packages it judges (nodes, nodes/kv, nodes/client, nodes/raft, nodes/paxos) and
// sim, never network or scenarios, and it never calls into a node.
package checker
