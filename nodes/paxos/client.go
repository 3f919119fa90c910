package paxos

import (
	"fmt"
	"slices"

	"github.com/consim/consim/nodes"
	"github.com/consim/consim/nodes/kv"
)

// wait is a client request the leader proposed and will answer once applied.
type wait struct {
	// slot is where the command was proposed.
	slot uint64
	// to is the client to answer; client and seq identify the command.
	to     nodes.ID
	client nodes.ID
	seq    uint64
}

// handleRequest serves a client command. Every command, reads included, is
// chosen in a slot, which makes reads linearizable. A non-leader answers
// ErrNotLeader with the leader it follows, if it knows one. A retry of a
// command the leader already proposed (in this ballot, or adopted from an
// earlier one) and has not applied yet waits for that slot instead of being
// proposed twice.
func (n *Node) handleRequest(from nodes.ID, m kv.Request) {
	if n.role != nodes.RoleLeader {
		n.send(from, kv.Reply{Client: m.Cmd.Client, Seq: m.Cmd.Seq, Err: kv.ErrNotLeader, Leader: n.leader})
		return
	}
	if n.waiting(m.Cmd) {
		return // one answer will do
	}
	if s, ok := n.pending(m.Cmd); ok {
		n.addWait(wait{slot: s, to: from, client: m.Cmd.Client, seq: m.Cmd.Seq})
		return
	}
	for n.slot(n.next).chosen {
		n.next++ // only if a promise left out a chosen slot (a broken acceptor)
	}
	s := n.next
	n.next++
	n.propose(s, []kv.Command{m.Cmd})
	n.addWait(wait{slot: s, to: from, client: m.Cmd.Client, seq: m.Cmd.Seq})
	n.persist()
	n.ack(n.selfIndex, s)
	n.persist()
	accept := Accept{Ballot: n.ballot, Slot: s, Cmds: []kv.Command{m.Cmd}, Chosen: n.learned}
	for i, id := range n.servers {
		if i != n.selfIndex {
			n.send(id, accept)
		}
	}
	n.applyLearned()
}

// waiting reports whether cmd is already awaiting its answer.
func (n *Node) waiting(cmd kv.Command) bool {
	for _, w := range n.waits {
		if w.client == cmd.Client && w.seq == cmd.Seq {
			return true
		}
	}
	return false
}

// pending returns the slot, not yet applied, where the leader proposed cmd
// or learned it chosen.
func (n *Node) pending(cmd kv.Command) (uint64, bool) {
	for s := n.applied + 1; s < n.next && s <= uint64(len(n.slots)); s++ {
		sl := &n.slots[s-1]
		var v kv.Command
		switch {
		case sl.chosen:
			v = sl.value
		case sl.proposed:
			v = n.proposal(s, sl)
		default:
			continue
		}
		if v.Client == cmd.Client && v.Seq == cmd.Seq && v.Op != kv.OpNoop {
			return s, true
		}
	}
	return 0, false
}

// addWait inserts w, keeping waits in slot order.
func (n *Node) addWait(w wait) {
	i, _ := slices.BinarySearchFunc(n.waits, w.slot, func(x wait, s uint64) int {
		switch {
		case x.slot < s:
			return -1
		case x.slot > s:
			return 1
		}
		return 0
	})
	for i < len(n.waits) && n.waits[i].slot == w.slot {
		i++
	}
	n.waits = slices.Insert(n.waits, i, w)
}

func (n *Node) clearWaits() {
	clear(n.waits)
	n.waits = n.waits[:0]
}

// applyLearned applies the durable chosen prefix not yet applied, in slot
// order, reporting each slot and answering the clients waiting for it.
func (n *Node) applyLearned() {
	if n.dirty {
		panic(fmt.Sprintf("paxos: node %v applying before learned(%d) is durable", n.self, n.learned))
	}
	for n.applied < n.learned {
		n.applied++
		cmd := n.slots[n.applied-1].value
		result, outcome := n.sm.Apply(cmd)
		n.env.Observe(kv.AppliedFact{Index: n.applied, Cmd: cmd})
		n.answer(n.applied, cmd, result, outcome)
	}
}

// answer replies to the clients waiting at slot, if the command applied
// there is the one they wait for (else another value was chosen there and
// the client retries). A Stale command gets no answer: its client has moved
// on.
func (n *Node) answer(slot uint64, cmd kv.Command, result kv.Result, outcome kv.Outcome) {
	for len(n.waits) > 0 && n.waits[0].slot <= slot {
		w := n.waits[0]
		n.waits = n.waits[1:]
		if w.slot == slot && w.client == cmd.Client && w.seq == cmd.Seq && outcome != kv.Stale {
			n.send(w.to, kv.Reply{Client: cmd.Client, Seq: cmd.Seq, Result: result, Leader: n.self})
		}
	}
}
