// Package etcdraft runs go.etcd.io/raft/v3 (the Raft library behind etcd) as
// a consim node, so that the simulator tests a third-party implementation
// with the same faults, clients and checkers as our own protocols.
//
// A Node wraps a raft.RawNode and drives it the way etcd's Ready contract
// asks:
//
//   - inputs: a periodic tick timer (nodes.Rearmable) calls RawNode.Tick; a
//     delivered Message is unmarshalled and handed to RawNode.Step; a
//     kv.Request is proposed (kv.AppendCommand) if this node leads, else
//     answered with kv.ErrNotLeader and the leader hint of Status().Lead; an
//     operator's nodes.TransferLeadership is RawNode.TransferLeader on the
//     leader and ignored elsewhere;
//   - after every input, each Ready is handled in order: its Entries and
//     HardState are written to env.Storage() as checksummed records
//     (nodes.SealRecord) and synced, the facts are reported (raftfacts.LogFact,
//     raftfacts.HardStateFact, nodes.RoleChanged with Epoch = term), THEN the
//     messages are sent and the committed entries applied to a
//     kv.StateMachine (answering the waiting clients, kv.AppliedFact per
//     entry), and finally RawNode.Advance.
//
// Storage: a raft.MemoryStorage holds the log in memory; what survives a
// crash is only what was synced to env.Storage(). Start replays the records
// into a fresh MemoryStorage (SetHardState; Append, which truncates a
// conflicting suffix) and restarts the RawNode from it with Applied = 0, so
// committed entries are applied again to a fresh state machine. A torn last
// record is dropped (and the disk rewritten without it); a bad record
// anywhere else halts the node (nodes.Halt). Membership is static: the
// wrapped storage's InitialState reports every server as a voter, so no
// bootstrap configuration entries are written.
//
// Determinism: raft/v3 (v3.7.0) draws each randomized election timeout with
// crypto/rand.Int(crypto/rand.Reader, ...) from a package-level lockedRand;
// nothing in its Config lets a caller supply the source. Every call into the
// RawNode that may draw (NewRawNode, Tick, Step, Propose, TransferLeader) is
// therefore made by withRand, which, under a process-wide mutex, swaps
// crypto/rand.Reader for a reader that produces bytes from this node's
// env.Rand() stream and restores it afterwards. Limits: (1) it relies on
// crypto/rand.Int reading the io.Reader it is passed (true in Go 1.26; Go
// 1.26 ignores custom readers in other crypto functions, so a future Go or
// raft version could break this: TestStreamReaderDrivesTheLibrary checks
// it); (2) while an etcd node runs, any other goroutine of the process
// reading crypto/rand.Reader gets the simulated stream (nothing in consim
// does); (3) etcd nodes of concurrent Worlds serialize on the mutex for
// those calls.
//
// It reports the facts the Raft checker reads from nodes/raftfacts
// (HardStateFact, LogFact, Entry), shared with our own Raft, and imports no
// other protocol.
package etcdraft
