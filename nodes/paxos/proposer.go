package paxos

import (
	"fmt"
	"math/bits"

	"github.com/consim/consim/nodes"
	"github.com/consim/consim/nodes/kv"
)

// campaign runs phase 1, when the failure timer fires (or a leader's ballot
// is rejected while its lease holds): a new ballot, this node's own promise
// durable first, then a Prepare to every other acceptor for the slots from
// its first unlearned one on.
func (n *Node) campaign() {
	n.becomeCandidate()
	n.persist()
	n.tallyPromise(n.selfIndex, n.promiseFor(n.ballot, n.prepareFrom))
	if n.role != nodes.RoleCandidate {
		return // a cluster of one
	}
	req := Prepare{Ballot: n.ballot, From: n.prepareFrom}
	for i, id := range n.servers {
		if i != n.selfIndex {
			n.send(id, req)
		}
	}
}

// tallyPromise counts servers[i]'s promise and takes over on a majority.
func (n *Node) tallyPromise(i int, m Promise) {
	n.promises[i] = m
	n.promisedBy[i] = true
	count := 0
	for _, ok := range n.promisedBy {
		if ok {
			count++
		}
	}
	if count >= n.phase1Quorum() {
		n.winPhase1()
	}
}

// winPhase1 becomes leader of ballot and runs phase 2 for every slot from
// prepareFrom up to the highest slot any promise reported: a value some
// acceptor learned is learned, else the value accepted with the highest
// ballot is proposed again, else a no-op fills the gap ("Paxos Made Simple"
// §3). New commands go after those slots, so that every slot below next is
// chosen here or proposed in ballot.
func (n *Node) winPhase1() {
	n.becomeLeader()
	from := n.prepareFrom
	adopted := n.adopt()
	n.next = from + uint64(len(adopted))
	// Runs of consecutive slots to learn, or to propose, are written as one
	// record each.
	var run []kv.Command
	var first uint64
	var learning bool
	flush := func() {
		switch {
		case len(run) == 0:
		case learning:
			n.writeLearn(first, run)
		default:
			n.propose(first, run)
		}
		run = nil
	}
	for k, a := range adopted {
		s := from + uint64(k)
		if n.slot(s).chosen {
			flush()
			continue
		}
		cmd := kv.Noop
		if a.chosen || a.has {
			cmd = a.cmd
		}
		if len(run) > 0 && learning != a.chosen {
			flush()
		}
		if len(run) == 0 {
			first, learning = s, a.chosen
		}
		run = append(run, cmd)
	}
	flush()
	n.persist()
	for s := from; s < n.next; s++ {
		n.ack(n.selfIndex, s)
	}
	n.persist()
	n.broadcastHeartbeat()
	n.applyLearned()
}

// adoption is what the promises of a majority say about one slot.
type adoption struct {
	// chosen: some acceptor learned cmd as chosen. Otherwise has says
	// some acceptor accepted a proposal, and (ballot, cmd) is the one with
	// the highest ballot.
	chosen bool
	has    bool
	ballot Ballot
	cmd    kv.Command
}

// adopt merges the promises received, in server order, into one adoption
// per slot from prepareFrom up to the highest slot reported or chosen here.
func (n *Node) adopt() []adoption {
	from := n.prepareFrom
	end := max(from, n.lastChosen+1) // one past the highest slot reported or chosen here
	for i, ok := range n.promisedBy {
		if ok {
			for _, e := range n.promises[i].Entries {
				end = max(end, e.Slot+1)
			}
		}
	}
	adopted := make([]adoption, end-from)
	for i, ok := range n.promisedBy {
		if !ok {
			continue
		}
		for _, e := range n.promises[i].Entries {
			if e.Slot < from {
				continue
			}
			a := &adopted[e.Slot-from]
			switch {
			case a.chosen:
			case e.Chosen:
				*a = adoption{chosen: true, cmd: e.Cmd}
			case !a.has || n.supersedes(e.Ballot, a.ballot):
				*a = adoption{has: true, ballot: e.Ballot, cmd: e.Cmd}
			}
		}
	}
	clear(n.promises)
	return adopted
}

// supersedes reports whether a proposal accepted in ballot b replaces one
// accepted in ballot c as the value to adopt: the higher ballot wins (P2c),
// or the lower with Bugs.AdoptLowestBallot.
func (n *Node) supersedes(b, c Ballot) bool {
	if n.cfg.Bugs.AdoptLowestBallot {
		return b.Less(c)
	}
	return c.Less(b)
}

// propose starts phase 2 in the leader's ballot for cmds[k] at slot
// first+k, and accepts them as this node's own acceptor. The caller
// persists before counting the own acceptances (ack) or sending Accepts.
func (n *Node) propose(first uint64, cmds []kv.Command) {
	for k, cmd := range cmds {
		s := first + uint64(k)
		sl := n.slot(s)
		if sl.proposed {
			panic(fmt.Sprintf("paxos: node %v proposing %v at slot %d in %v, which has %v there",
				n.self, cmd, s, n.ballot, n.proposal(s, sl)))
		}
		sl.proposed, sl.acks = true, 0
		n.env.Observe(ProposeFact{Slot: s, Ballot: n.ballot, Cmd: cmd})
	}
	n.writeAccept(n.ballot, first, cmds)
}

// ack counts servers[i]'s acceptance of the leader's proposal at s and
// learns it once a majority accepted it.
func (n *Node) ack(i int, s uint64) {
	if s == 0 || s > uint64(len(n.slots)) {
		return
	}
	sl := &n.slots[s-1]
	if !sl.proposed {
		return
	}
	sl.acks |= 1 << i
	if !sl.chosen && bits.OnesCount64(sl.acks) >= n.phase2Quorum() {
		n.writeLearn(s, []kv.Command{n.proposal(s, sl)})
	}
}

// handleAccepted counts an acceptor's phase 2b, then applies and answers
// what became chosen.
func (n *Node) handleAccepted(i int, m Accepted) {
	for s := m.Slot; s < m.Slot+m.Count && s < n.next; s++ {
		n.ack(i, s)
	}
	n.persist()
	n.applyLearned()
}

// tick is the leader's heartbeat: it steps down when its lease no longer
// holds (no majority answered for FailureTimeoutMin: it cannot get anything
// chosen, and its heartbeats alone would keep followers disregarding a
// candidate that could), else it sends the heartbeats.
func (n *Node) tick() {
	if !n.leaseHolds() {
		n.becomeFollower(0)
		return
	}
	n.broadcastHeartbeat()
}

// broadcastHeartbeat sends every follower a Heartbeat and resends the
// proposals it has not acknowledged, then re-arms the heartbeat.
func (n *Node) broadcastHeartbeat() {
	hb := Heartbeat{Ballot: n.ballot, Chosen: n.learned}
	for i, id := range n.servers {
		if i == n.selfIndex {
			continue
		}
		n.send(id, hb)
		n.resendAccepts(i)
	}
	n.arm(&n.heartbeat, timerHeartbeat, n.cfg.HeartbeatInterval)
}

// resendAccepts sends servers[i] the leader's proposals not yet chosen that
// it has not acknowledged, as runs of consecutive slots.
func (n *Node) resendAccepts(i int) {
	limit := max(n.cfg.MaxSlotsPerMessage, 1)
	var run []kv.Command
	var first uint64
	flush := func() {
		if len(run) > 0 {
			n.send(n.servers[i], Accept{Ballot: n.ballot, Slot: first, Cmds: run, Chosen: n.learned})
			run = nil
		}
	}
	for s := n.learned + 1; s < n.next && s <= uint64(len(n.slots)); s++ {
		sl := &n.slots[s-1]
		if !sl.proposed || sl.chosen || sl.acks&(1<<i) != 0 {
			flush()
			continue
		}
		if len(run) == 0 {
			first = s
		}
		run = append(run, n.proposal(s, sl))
		if len(run) == limit {
			flush()
		}
	}
	flush()
}

// catchUp sends a follower whose chosen prefix ends at learned the next
// chosen values it lacks (the follower answers with Progress, so a long
// catch-up proceeds one round trip per message).
func (n *Node) catchUp(to nodes.ID, learned uint64) {
	if learned >= n.learned {
		return
	}
	hi := min(n.learned, learned+uint64(max(n.cfg.MaxSlotsPerMessage, 1)))
	cmds := make([]kv.Command, 0, hi-learned)
	for s := learned + 1; s <= hi; s++ {
		cmds = append(cmds, n.slots[s-1].value)
	}
	n.send(to, Learn{Ballot: n.ballot, Slot: learned + 1, Cmds: cmds})
}
