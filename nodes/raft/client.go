package raft

import (
	"fmt"

	"github.com/consim/consim/nodes"
	"github.com/consim/consim/nodes/kv"
)

// wait is a client request a leader appended and will answer once applied.
type wait struct {
	// index is where the command was appended.
	index uint64
	// to is the client to answer; client and seq identify the command.
	to     nodes.ID
	client nodes.ID
	seq    uint64
}

// handleRequest serves a client command. Every command goes through the log,
// which makes reads linearizable, except gets under Config.ReadIndex (see
// read.go; Bugs.ReadLocally answers gets at once instead). A non-leader
// answers ErrNotLeader with the leader of its term if it knows it; so does a
// leader handing leadership over, without a hint (thesis §3.10).
func (n *Node) handleRequest(from nodes.ID, m kv.Request) {
	if n.role != nodes.RoleLeader || n.transferee != 0 {
		leader := n.leader
		if n.transferee != 0 {
			leader = 0
		}
		n.send(from, kv.Reply{Client: m.Cmd.Client, Seq: m.Cmd.Seq, Err: kv.ErrNotLeader, Leader: leader})
		return
	}
	if n.cfg.Bugs.ReadLocally && m.Cmd.Op == kv.OpGet {
		n.send(from, kv.Reply{Client: m.Cmd.Client, Seq: m.Cmd.Seq, Result: kv.Result{Value: n.sm.Get(m.Cmd.Key)}, Leader: n.self})
		return
	}
	if n.cfg.ReadIndex && m.Cmd.Op == kv.OpGet {
		n.handleRead(from, m.Cmd)
		return
	}
	if n.waiting(m.Cmd) {
		return // a retry of a command already in the log; one answer will do
	}
	index := n.appendLocal(m.Cmd)
	n.waits = append(n.waits, wait{index: index, to: from, client: m.Cmd.Client, seq: m.Cmd.Seq})
	n.persist()
	n.broadcastAppend(false)
	n.maybeCommit()
	if n.cfg.Bugs.ApplyBeforeCommit {
		n.applyCommitted()
	}
}

// waiting reports whether cmd is already appended and awaiting its answer.
func (n *Node) waiting(cmd kv.Command) bool {
	for _, w := range n.waits {
		if w.client == cmd.Client && w.seq == cmd.Seq {
			return true
		}
	}
	return false
}

// applyCommitted applies the durable committed entries not yet applied, in
// index order, reporting each and answering the clients waiting for them.
// Bugs.ApplyBeforeCommit applies every durable entry.
func (n *Node) applyCommitted() {
	if n.hardDirty {
		panic(fmt.Sprintf("raft: node %v applying before commit(%d) is durable", n.self, n.commit))
	}
	if n.commit > n.log.lastIndex() {
		panic(fmt.Sprintf("raft: node %v commit(%d) is out of range [lastIndex(%d)]", n.self, n.commit, n.log.lastIndex()))
	}
	if n.cfg.Bugs.FollowersNeverApply && n.role != nodes.RoleLeader {
		return
	}
	limit := n.commit
	if n.cfg.Bugs.ApplyBeforeCommit && !n.logDirty {
		limit = n.log.lastIndex()
	}
	for n.applied < limit {
		n.applied++
		cmd := n.log.entry(n.applied).Cmd
		result, outcome := n.sm.Apply(cmd)
		n.appliedFact = kv.AppliedFact{Index: n.applied, Cmd: cmd}
		n.env.Observe(&n.appliedFact)
		n.answer(n.applied, cmd, result, outcome)
	}
	if n.cfg.ReadIndex && n.role == nodes.RoleLeader {
		n.readsAfterCommit()
		n.serveReads()
	}
}

// answer replies to the client waiting at index, if the command applied
// there is the one it waits for (else the log was overwritten and the client
// retries). A Stale command gets no answer: its client has moved on.
func (n *Node) answer(index uint64, cmd kv.Command, result kv.Result, outcome kv.Outcome) {
	for len(n.waits) > 0 && n.waits[0].index <= index {
		w := n.waits[0]
		n.waits = n.waits[1:]
		if w.index == index && w.client == cmd.Client && w.seq == cmd.Seq && outcome != kv.Stale {
			n.send(w.to, kv.Reply{Client: cmd.Client, Seq: cmd.Seq, Result: result, Leader: n.self})
		}
	}
}
