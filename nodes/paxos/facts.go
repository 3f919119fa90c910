package paxos

import (
	"fmt"

	"github.com/consim/consim/nodes/kv"
)

// The facts below are what a Paxos node reports through Env.Observe for the
// checkers (package checker). Facts about durable state (PromiseFact,
// AcceptFact, LearnFact) are reported only after the Sync that made the
// state durable, so a checker's shadow of an acceptor is exactly what
// survives a crash. Role changes are reported with nodes.RoleChanged, Epoch
// = the ballot's round, and every applied slot with kv.AppliedFact (Index =
// slot).

// PromiseFact reports that the acceptor's durable promise is now Ballot: it
// will accept no proposal below it (phase 1b). It is reported after every
// Sync that raised the promise, and once at Start with the recovered
// promise (the zero Ballot on a fresh disk).
type PromiseFact struct {
	Ballot Ballot
}

func (PromiseFact) Kind() string { return "paxos.promise" }

func (f PromiseFact) String() string { return fmt.Sprintf("promise %v", f.Ballot) }

// AcceptFact reports that the acceptor durably accepted the proposal (Slot,
// Ballot, Cmd) (phase 2b).
type AcceptFact struct {
	Slot   uint64
	Ballot Ballot
	Cmd    kv.Command
}

func (AcceptFact) Kind() string { return "paxos.accept" }

func (f AcceptFact) String() string { return fmt.Sprintf("accept %d %v %v", f.Slot, f.Ballot, f.Cmd) }

// ProposeFact reports that a proposer sends phase 2a for the value Cmd at
// Slot in Ballot. It is reported once per (Slot, Ballot), before the first
// Accept message carrying it is sent (and before the proposer accepts it
// itself); it describes an intent, not durable state.
type ProposeFact struct {
	Slot   uint64
	Ballot Ballot
	Cmd    kv.Command
}

func (ProposeFact) Kind() string { return "paxos.propose" }

func (f ProposeFact) String() string { return fmt.Sprintf("propose %d %v %v", f.Slot, f.Ballot, f.Cmd) }

// LearnFact reports that the replica durably learned Cmd as the value chosen
// at Slot.
type LearnFact struct {
	Slot uint64
	Cmd  kv.Command
}

func (LearnFact) Kind() string { return "paxos.learn" }

func (f LearnFact) String() string { return fmt.Sprintf("learn %d %v", f.Slot, f.Cmd) }
