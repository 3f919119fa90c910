// Package nodes is the contract between a simulated node and the world that
// runs it: the Node interface a protocol implements and the Env through which
// it touches everything else (network, clock, timers, randomness, disk,
// checkers).
//
// A node is a deterministic state machine: the same inputs in the same order
// produce the same outputs. It is built fresh at boot and at every restart and
// recovers what it needs from Storage. It never starts goroutines, reads the
// wall clock, uses global randomness, or holds a pointer into another node's
// memory.
//
// nodes imports only the standard library.
package nodes

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// ID names a node. Servers are 1..N; clients come after them.
type ID int

func (id ID) String() string { return fmt.Sprintf("n%d", int(id)) }

// A Message travels between nodes. It is a value that nobody mutates after
// Send: the network may deliver it twice. Kind names it in traces.
type Message interface {
	Kind() string
}

// A Fact is something a node reports to the checkers through Env.Observe
// (became leader, persisted its term, applied a command, ...). Observers read
// it during the call and copy what they keep; the node may reuse its memory
// afterwards.
type Fact interface {
	Kind() string
}

// Timer is what a node asks to get back when a timer fires. Kind and Arg are
// the node's to interpret.
type Timer struct {
	Kind int
	Arg  uint64
}

func (t Timer) String() string { return fmt.Sprintf("timer kind=%d arg=%d", t.Kind, t.Arg) }

// TimerID names a pending timer so that it can be cancelled.
type TimerID uint64

// Env is everything a node may touch.
type Env interface {
	// Self is this node's id.
	Self() ID
	// Servers lists the server ids, in increasing order. The slice must not
	// be modified.
	Servers() []ID
	// Now is the simulated time since the World began.
	Now() time.Duration
	// Send hands m to the network for delivery to `to`. It may be lost,
	// delayed, duplicated or reordered.
	Send(to ID, m Message)
	// SetTimer arranges for Node.Timer(t) to be called after the given
	// simulated delay, unless cancelled or the node crashes first.
	SetTimer(after time.Duration, t Timer) TimerID
	// CancelTimer cancels a pending timer; cancelling a fired or unknown
	// timer does nothing.
	CancelTimer(id TimerID)
	// Rand is this node's own random stream. It survives restarts.
	Rand() *rand.Rand
	// Storage is this node's disk: what was synced survives a crash.
	Storage() Storage
	// Observe reports a protocol fact to the checkers.
	Observe(f Fact)
}

// Node is a simulated process.
type Node interface {
	// Start boots the node, or restarts it after a crash: recover from
	// env.Storage(). The env is valid for the node's whole life.
	Start(env Env)
	// Receive handles a delivered message.
	Receive(from ID, m Message)
	// Timer handles a fired timer.
	Timer(t Timer)
}

// Role is a protocol-neutral name for what a server currently does.
type Role string

const (
	RoleFollower  Role = "follower"
	RoleCandidate Role = "candidate"
	RoleLeader    Role = "leader"
)

// RoleChanged reports a role change. Epoch is the protocol's notion of
// leadership generation (the Raft term, the Paxos ballot round). The world
// uses it to find the current leader (for "isolate the leader" faults and
// leader-change counts); protocol checkers use their own facts.
type RoleChanged struct {
	Role  Role
	Epoch uint64
}

func (RoleChanged) Kind() string { return "role" }

func (f RoleChanged) String() string { return fmt.Sprintf("role %s epoch %d", f.Role, f.Epoch) }

// TransferLeadership is an operator's request, delivered to a server, that
// leadership move to To (Raft thesis §3.10). A leader that supports transfers
// brings To's log up to date and tells it to stand for election at once; any
// other server, or a protocol without transfers, ignores it. The scenario
// runner injects it for the transfer-leader fault.
type TransferLeadership struct {
	To ID
}

func (TransferLeadership) Kind() string { return "transfer-leadership" }

func (m TransferLeadership) String() string { return fmt.Sprintf("transfer-leadership to=%v", m.To) }

// IndexOf returns id's position in servers (as Env.Servers lists them), or
// -1. With the usual numbering, servers 1..N, it is id-1 at once.
func IndexOf(servers []ID, id ID) int {
	if i := int(id) - 1; i >= 0 && i < len(servers) && servers[i] == id {
		return i
	}
	for i, s := range servers {
		if s == id {
			return i
		}
	}
	return -1
}
