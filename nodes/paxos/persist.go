package paxos

import (
	"fmt"

	"github.com/consim/consim/nodes"
	"github.com/consim/consim/nodes/kv"
)

// compactSlack is how many records beyond the log's length the storage may
// hold before it is compacted (see maybeCompact).
const compactSlack = 64

// persist makes every record appended since the last Sync durable and only
// then reports the facts they stand for; it does nothing when nothing
// changed.
func (n *Node) persist() {
	if !n.dirty {
		return
	}
	n.env.Storage().Sync()
	n.dirty = false
	facts := n.facts
	for _, f := range facts {
		n.env.Observe(f)
	}
	clear(facts)
	n.facts = facts[:0]
	n.maybeCompact(false)
}

// record appends rec to the storage; facts (and those the caller already
// queued in n.facts) are reported once it is durable.
func (n *Node) record(rec []byte, facts ...nodes.Fact) {
	n.env.Storage().Append(rec)
	n.dirty = true
	n.facts = append(n.facts, facts...)
}

// writePromise raises the acceptor's promise to b (phase 1b, and phase 2b
// for a higher ballot).
func (n *Node) writePromise(b Ballot) {
	if !n.below(n.promised, b) {
		panic(fmt.Sprintf("paxos: node %v promising %v, not above its promise %v", n.self, b, n.promised))
	}
	n.promised = b
	n.sawBallot(b)
	if n.cfg.Bugs.PromiseNotDurable {
		// Reported as if durable, but nothing is written.
		n.dirty = true
		n.facts = append(n.facts, PromiseFact{Ballot: b})
		return
	}
	n.record(encodePromise(b), PromiseFact{Ballot: b})
}

// writeAccept makes the acceptor accept the proposals of ballot b, cmds[k]
// at slot first+k (phase 2b). The caller has checked b against the promise.
// Proposals already accepted are not written again.
func (n *Node) writeAccept(b Ballot, first uint64, cmds []kv.Command) {
	if n.below(b, n.promised) && !n.cfg.Bugs.AcceptBelowPromise {
		panic(fmt.Sprintf("paxos: node %v accepting %v below its promise %v", n.self, b, n.promised))
	}
	changed := false
	for k, c := range cmds {
		s := first + uint64(k)
		sl := n.slot(s)
		if sl.acceptedBallot == b && sl.accepted == c {
			continue
		}
		sl.acceptedBallot, sl.accepted = b, c
		n.facts = append(n.facts, AcceptFact{Slot: s, Ballot: b, Cmd: c})
		changed = true
	}
	if changed {
		n.record(encodeAccept(b, first, cmds))
	}
}

// writeLearn makes the replica learn cmds[k] as chosen at slot first+k.
// Slots already learned keep their value (two different chosen values
// would break Paxos safety, which is the checkers' to judge).
func (n *Node) writeLearn(first uint64, cmds []kv.Command) {
	changed := false
	for k, c := range cmds {
		s := first + uint64(k)
		sl := n.slot(s)
		if sl.chosen {
			continue
		}
		sl.chosen, sl.value = true, c
		n.lastChosen = max(n.lastChosen, s)
		n.facts = append(n.facts, LearnFact{Slot: s, Cmd: c})
		changed = true
	}
	if changed {
		n.record(encodeLearn(first, cmds))
		n.advanceLearned()
	}
}

// advanceLearned extends the chosen prefix over the slots learned since.
func (n *Node) advanceLearned() {
	for n.learned < uint64(len(n.slots)) && n.slots[n.learned].chosen {
		n.learned++
	}
}

// maybeCompact rewrites the storage as a snapshot when it has grown well
// beyond the log, or when force is set (after a torn write, so that nothing
// is appended after a bad record). Only durable state may be compacted.
func (n *Node) maybeCompact(force bool) {
	if n.dirty {
		panic(fmt.Sprintf("paxos: node %v compacting unsynced state", n.self))
	}
	st := n.env.Storage()
	if !force && len(st.Records()) <= compactSlack+len(n.slots) {
		return
	}
	promised := n.promised
	if n.cfg.Bugs.PromiseNotDurable {
		promised = Ballot{}
	}
	st.Replace(snapshot(promised, n.slots))
}

// restore rebuilds the durable state from storage, reports the recovered
// promise, and re-applies the learned prefix to the fresh state machine.
func (n *Node) restore() {
	d := replay(n.env.Storage().Records())
	n.promised = d.promised
	n.seen = d.promised
	n.slots = d.slots
	for s := range n.slots {
		if n.slots[s].chosen {
			n.lastChosen = uint64(s + 1)
		}
	}
	n.advanceLearned()
	n.maybeCompact(d.torn)
	n.env.Observe(PromiseFact{Ballot: n.promised})
	n.applyLearned()
}
