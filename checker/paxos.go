package checker

import (
	"fmt"
	"math/bits"
	"time"

	"github.com/consim/consim/nodes"
	"github.com/consim/consim/nodes/kv"
	"github.com/consim/consim/nodes/paxos"
)

// Paxos invariant names ("Paxos Made Simple" §2). A Violation's Invariant
// is one of these or of the names in violation.go.
const (
	InvariantOneValueChosen     = "one-value-chosen"     // P2: at most one value is chosen per slot
	InvariantChosenWasProposed  = "chosen-was-proposed"  // §2.1: only a proposed value, a client command or a no-op, is chosen
	InvariantOneValuePerBallot  = "one-value-per-ballot" // §2.2: a ballot proposes at most one value per slot, and only its owner proposes in it
	InvariantPromiseMonotonic   = "promise-monotonic"    // an acceptor's promise never decreases, across restarts too
	InvariantAcceptAbovePromise = "accept-above-promise" // P1a: an acceptor accepts no ballot below its promise
	InvariantLearnOnlyChosen    = "learn-only-chosen"    // §2.3: a learner learns only a chosen value
)

// Paxos checks the Multi-Paxos safety properties online, from the facts the
// servers report: paxos.PromiseFact, paxos.AcceptFact, paxos.ProposeFact and
// paxos.LearnFact. Facts about durable state come after the Sync that made
// it durable, so the shadow kept per acceptor is what survives a crash; a
// crash changes nothing here, and the PromiseFact a restarted acceptor
// reports at Start is judged against the promise it made before.
//
// A value is chosen at a slot once a majority of acceptors accepted it in
// one ballot, counted from AcceptFacts for the whole run: an acceptance
// never goes away, even when the acceptor later accepts a higher ballot.
//
// Facts from nodes that are not servers, and facts of other kinds, are
// ignored.
type Paxos struct {
	// servers lists the server ids; index maps an id to its position,
	// the acceptor's bit in ballotRecord.accepted.
	servers []nodes.ID
	index   map[nodes.ID]int
	quorum  int
	// acceptors holds each server's shadow, by position.
	acceptors []paxosAcceptor
	// ballots maps (slot, ballot) to the one value of that ballot there,
	// from the first ProposeFact or AcceptFact naming it.
	ballots map[slotBallot]*ballotRecord
	// chosen maps a slot to the value first chosen there.
	chosen map[uint64]chosenValue
}

// paxosAcceptor is the checker's shadow of one acceptor.
type paxosAcceptor struct {
	// promised is the highest promise reported, at promisedAt.
	promised   paxos.Ballot
	promisedAt time.Duration
}

type slotBallot struct {
	slot   uint64
	ballot paxos.Ballot
}

// ballotRecord is what is known of one ballot at one slot.
type ballotRecord struct {
	// cmd is the ballot's value there, first reported by node at at.
	cmd  kv.Command
	node nodes.ID
	at   time.Duration
	// proposed says a ProposeFact named it; acceptedFirst names an
	// acceptor that reported accepting it before any ProposeFact did (0
	// if none).
	proposed      bool
	acceptedFirst nodes.ID
	// accepted has bit i set when servers[i] accepted cmd in the ballot;
	// chosen says a majority did.
	accepted uint64
	chosen   bool
}

type chosenValue struct {
	cmd    kv.Command
	ballot paxos.Ballot
	at     time.Duration
	// by has the bits of the acceptors whose acceptances chose it.
	by uint64
}

// WithChosenQuorum makes a value chosen once q acceptors accepted it in one
// ballot, for a protocol configured with phase-2 quorums of size q
// (Flexible Paxos, Howard et al. 2016); the default is a majority. It
// returns p.
func (p *Paxos) WithChosenQuorum(q int) *Paxos {
	if q < 1 || q > len(p.servers) {
		panic(fmt.Sprintf("checker: chosen quorum %d out of range [1, %d]", q, len(p.servers)))
	}
	p.quorum = q
	return p
}

// NewPaxos returns a Paxos checker for the given servers (at most 64).
func NewPaxos(servers []nodes.ID) *Paxos {
	if len(servers) > 64 {
		panic(fmt.Sprintf("checker: %d servers, at most 64 supported", len(servers)))
	}
	p := &Paxos{
		servers:   servers,
		index:     make(map[nodes.ID]int, len(servers)),
		quorum:    len(servers)/2 + 1,
		acceptors: make([]paxosAcceptor, len(servers)),
		ballots:   map[slotBallot]*ballotRecord{},
		chosen:    map[uint64]chosenValue{},
	}
	for i, id := range servers {
		p.index[id] = i
	}
	return p
}

// Observe implements Online.
func (p *Paxos) Observe(at time.Duration, node nodes.ID, f nodes.Fact) []Violation {
	i, ok := p.index[node]
	if !ok {
		return nil
	}
	switch f := f.(type) {
	case paxos.PromiseFact:
		return p.promise(at, i, f)
	case *paxos.PromiseFact:
		return p.promise(at, i, *f)
	case paxos.AcceptFact:
		return p.accept(at, i, f)
	case *paxos.AcceptFact:
		return p.accept(at, i, *f)
	case paxos.ProposeFact:
		return p.propose(at, node, f)
	case *paxos.ProposeFact:
		return p.propose(at, node, *f)
	case paxos.LearnFact:
		return p.learn(at, node, f)
	case *paxos.LearnFact:
		return p.learn(at, node, *f)
	}
	return nil
}

// Crashed implements Online: an acceptor's durable promise and acceptances
// outlive it, so nothing changes.
func (p *Paxos) Crashed(at time.Duration, node nodes.ID) {}

// promise checks that an acceptor's promise never decreases, across
// restarts too.
func (p *Paxos) promise(at time.Duration, i int, f paxos.PromiseFact) []Violation {
	a := &p.acceptors[i]
	if f.Ballot.Less(a.promised) {
		return []Violation{{
			Invariant: InvariantPromiseMonotonic,
			Class:     ClassSafety,
			At:        at,
			Nodes:     involved(p.servers[i]),
			Detail: fmt.Sprintf("%v promised %v, below the %v it promised at %v",
				p.servers[i], f.Ballot, a.promised, a.promisedAt),
		}}
	}
	if a.promised.Less(f.Ballot) {
		a.promised, a.promisedAt = f.Ballot, at
	}
	return nil
}

// propose checks that only a ballot's owner proposes in it and that it
// proposes one value per slot.
func (p *Paxos) propose(at time.Duration, node nodes.ID, f paxos.ProposeFact) []Violation {
	var vs []Violation
	if f.Ballot.Node != node {
		vs = append(vs, Violation{
			Invariant: InvariantOneValuePerBallot,
			Class:     ClassSafety,
			At:        at,
			Nodes:     involved(node, f.Ballot.Node),
			Detail:    fmt.Sprintf("%v proposed %v at slot %d in ballot %v, which belongs to %v", node, f.Cmd, f.Slot, f.Ballot, f.Ballot.Node),
		})
	}
	rec, v := p.record(at, node, f.Slot, f.Ballot, f.Cmd)
	if v != nil {
		return append(vs, *v)
	}
	rec.proposed = true
	return vs
}

// accept checks an acceptance against the acceptor's promise and the
// ballot's value, and counts it; the acceptance that completes a majority
// chooses the value, which must have been proposed before any of its
// acceptances and must not differ from a value chosen before at the slot.
func (p *Paxos) accept(at time.Duration, i int, f paxos.AcceptFact) []Violation {
	id := p.servers[i]
	var vs []Violation
	if a := p.acceptors[i]; f.Ballot.Less(a.promised) {
		vs = append(vs, Violation{
			Invariant: InvariantAcceptAbovePromise,
			Class:     ClassSafety,
			At:        at,
			Nodes:     involved(id),
			Detail: fmt.Sprintf("%v accepted %v at slot %d in ballot %v, below the %v it promised at %v",
				id, f.Cmd, f.Slot, f.Ballot, a.promised, a.promisedAt),
		})
	}
	rec, v := p.record(at, id, f.Slot, f.Ballot, f.Cmd)
	if v != nil {
		return append(vs, *v)
	}
	if !rec.proposed && rec.acceptedFirst == 0 {
		rec.acceptedFirst = id
	}
	rec.accepted |= 1 << i
	if rec.chosen || bits.OnesCount64(rec.accepted) < p.quorum {
		return vs
	}
	rec.chosen = true
	return append(vs, p.choose(at, f.Slot, f.Ballot, rec)...)
}

// record returns the record of (slot, ballot), creating it with cmd, or a
// violation if it holds another value.
func (p *Paxos) record(at time.Duration, node nodes.ID, slot uint64, b paxos.Ballot, cmd kv.Command) (*ballotRecord, *Violation) {
	key := slotBallot{slot: slot, ballot: b}
	rec := p.ballots[key]
	if rec == nil {
		rec = &ballotRecord{cmd: cmd, node: node, at: at}
		p.ballots[key] = rec
		return rec, nil
	}
	if rec.cmd == cmd {
		return rec, nil
	}
	return nil, &Violation{
		Invariant: InvariantOneValuePerBallot,
		Class:     ClassSafety,
		At:        at,
		Nodes:     involved(node, rec.node),
		Detail: fmt.Sprintf("%v reported %v at slot %d in ballot %v, but %v reported %v there in that ballot at %v",
			node, cmd, slot, b, rec.node, rec.cmd, rec.at),
	}
}

// choose records that rec's value was chosen at slot in ballot b.
func (p *Paxos) choose(at time.Duration, slot uint64, b paxos.Ballot, rec *ballotRecord) []Violation {
	var vs []Violation
	switch {
	case !rec.proposed:
		vs = append(vs, Violation{
			Invariant: InvariantChosenWasProposed,
			Class:     ClassSafety,
			At:        at,
			Nodes:     involved(append(p.acceptorsOf(rec.accepted), b.Node)...),
			Detail:    fmt.Sprintf("%v was chosen at slot %d in ballot %v by %s, but nobody proposed it", rec.cmd, slot, b, p.namesOf(rec.accepted)),
		})
	case rec.acceptedFirst != 0:
		vs = append(vs, Violation{
			Invariant: InvariantChosenWasProposed,
			Class:     ClassSafety,
			At:        at,
			Nodes:     involved(rec.acceptedFirst, b.Node),
			Detail: fmt.Sprintf("%v was chosen at slot %d in ballot %v by %s, but %v accepted it before it was proposed",
				rec.cmd, slot, b, p.namesOf(rec.accepted), rec.acceptedFirst),
		})
	}
	if why := p.invalidValue(rec.cmd); why != "" {
		vs = append(vs, Violation{
			Invariant: InvariantChosenWasProposed,
			Class:     ClassSafety,
			At:        at,
			Nodes:     involved(append(p.acceptorsOf(rec.accepted), b.Node)...),
			Detail:    fmt.Sprintf("%v was chosen at slot %d in ballot %v by %s, but it is neither a client command nor a no-op: %s", rec.cmd, slot, b, p.namesOf(rec.accepted), why),
		})
	}
	first, ok := p.chosen[slot]
	if !ok {
		p.chosen[slot] = chosenValue{cmd: rec.cmd, ballot: b, at: at, by: rec.accepted}
		return vs
	}
	if first.cmd != rec.cmd {
		vs = append(vs, Violation{
			Invariant: InvariantOneValueChosen,
			Class:     ClassSafety,
			At:        at,
			Nodes:     involved(p.acceptorsOf(rec.accepted | first.by)...),
			Detail: fmt.Sprintf("%v was chosen at slot %d in ballot %v by %s, but %v was chosen there in ballot %v by %s at %v",
				rec.cmd, slot, b, p.namesOf(rec.accepted), first.cmd, first.ballot, p.namesOf(first.by), first.at),
		})
	}
	return vs
}

// invalidValue says why cmd is neither a client command nor a no-op ("" if
// it is one).
func (p *Paxos) invalidValue(cmd kv.Command) string {
	switch cmd.Op {
	case kv.OpNoop:
		if cmd != kv.Noop {
			return "a no-op with client fields set"
		}
		return ""
	case kv.OpGet, kv.OpPut, kv.OpAppend, kv.OpCAS:
	default:
		return fmt.Sprintf("unknown op %v", cmd.Op)
	}
	if _, server := p.index[cmd.Client]; server || cmd.Client == 0 {
		return fmt.Sprintf("client %d is not a client", cmd.Client)
	}
	if cmd.Seq == 0 {
		return "sequence number 0"
	}
	return ""
}

// learn checks that a learner learns the value chosen at the slot, and only
// once it is chosen.
func (p *Paxos) learn(at time.Duration, node nodes.ID, f paxos.LearnFact) []Violation {
	c, ok := p.chosen[f.Slot]
	switch {
	case !ok:
		return []Violation{{
			Invariant: InvariantLearnOnlyChosen,
			Class:     ClassSafety,
			At:        at,
			Nodes:     involved(node),
			Detail:    fmt.Sprintf("%v learned %v at slot %d, where nothing is chosen yet", node, f.Cmd, f.Slot),
		}}
	case c.cmd != f.Cmd:
		return []Violation{{
			Invariant: InvariantLearnOnlyChosen,
			Class:     ClassSafety,
			At:        at,
			Nodes:     involved(append(p.acceptorsOf(c.by), node)...),
			Detail: fmt.Sprintf("%v learned %v at slot %d, where %v was chosen in ballot %v by %s at %v",
				node, f.Cmd, f.Slot, c.cmd, c.ballot, p.namesOf(c.by), c.at),
		}}
	}
	return nil
}

// namesOf names the servers whose bits are set in mask.
func (p *Paxos) namesOf(mask uint64) string { return nodeList(p.acceptorsOf(mask)) }

// acceptorsOf lists the servers whose bits are set in mask, in order.
func (p *Paxos) acceptorsOf(mask uint64) []nodes.ID {
	var ids []nodes.ID
	for i, id := range p.servers {
		if mask&(1<<i) != 0 {
			ids = append(ids, id)
		}
	}
	return ids
}
