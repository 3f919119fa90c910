package raft

import (
	"slices"

	"github.com/consim/consim/nodes"
	"github.com/consim/consim/nodes/kv"
)

// Read-only queries without log entries (thesis §6.4, Config.ReadIndex and
// Config.LeaseReads).
//
// A leader confirms that it still leads in numbered rounds: starting round r
// sends every follower an AppendEntries carrying ReadRound r, and a reply of
// the leader's term echoing r or more shows that the follower accepted the
// leader after the round began. Once a majority (the leader included) has,
// round r is confirmed: no other leader can have committed anything between
// the round's start and its confirmation. A read waits for an entry of the
// leader's term to commit (so that the commit index is at least every index
// committed before the term began), takes the commit index as its read
// index, waits for a round that began after that to be confirmed, then for
// the state machine to apply the read index, and is answered from it.
//
// With LeaseReads every heartbeat starts a round, and a confirmed round is a
// lease until its timer, set for the lease duration when the round began,
// fires on the leader's own clock: within it the leader answers reads at
// once. Followers that acknowledged the round refuse to vote for ElectionTimeoutMin
// on their own clocks (ignoreInLease), which Config.Validate makes longer than
// any lease under the configured clock drift.

// readState is a leader's pending reads and confirmation rounds. Rounds are
// numbered across terms and never reused in one incarnation, so a lease timer
// of an old term can only expire rounds that no longer count.
type readState struct {
	// pending are the reads not yet answered, in arrival order.
	pending []pendingRead
	// round is the latest round started; confirmed the latest a majority
	// confirmed; expired the latest whose lease timer fired. The lease
	// holds while confirmed > expired. Invariant: expired <= round and
	// confirmed <= round; at the start of a term all three are equal.
	round, confirmed, expired uint64
	// acks[i] is the highest round servers[i] echoed in this term;
	// acks[selfSlot] is round.
	acks []uint64
	// revoked says the lease may not be trusted again in this term (a
	// TimeoutNow went out).
	revoked bool
}

// pendingRead is a get waiting to be answered without a log entry.
type pendingRead struct {
	to  nodes.ID
	cmd kv.Command
	// index is the read index; round is the round that must be confirmed
	// first, or 0 while no entry of the term has committed (index unset).
	index uint64
	round uint64
}

// lead resets the state for a new term: nothing pending, no round confirmed.
func (r *readState) lead(selfSlot int) {
	r.pending = r.pending[:0]
	r.confirmed, r.expired = r.round, r.round
	clear(r.acks)
	r.acks[selfSlot] = r.round
	r.revoked = false
}

// drop forgets the pending reads (the node stopped leading; clients retry).
func (r *readState) drop() { r.pending = r.pending[:0] }

// revokeLease ends the lease for the rest of the term.
func (r *readState) revokeLease() { r.revoked = true }

// inFlight reports whether a started round awaits confirmation.
func (r *readState) inFlight() bool { return r.confirmed < r.round }

// handleRead serves a get under ReadIndex: at once within a lease, else
// queued for the next round (started now unless one is in flight).
func (n *Node) handleRead(from nodes.ID, cmd kv.Command) {
	read := pendingRead{to: from, cmd: cmd}
	if n.termCommitted() {
		read.index = n.commit
		if n.leaseHolds() && n.applied >= read.index {
			n.answerRead(read)
			return
		}
		read.round = n.reads.round + n.readRounds()
	}
	n.reads.pending = append(n.reads.pending, read)
	if read.round != 0 && !n.reads.inFlight() {
		n.startRound()
	}
}

// termCommitted reports whether an entry of the current term has committed,
// so that the commit index covers every entry committed in earlier terms
// (§6.4 step 1; the leader's no-op, §8). Bugs.ReadIndexBeforeNoop skips it.
func (n *Node) termCommitted() bool {
	return n.log.term(n.commit) == n.term || n.cfg.Bugs.ReadIndexBeforeNoop
}

// leaseHolds reports whether a confirmed round's lease is still running.
func (n *Node) leaseHolds() bool {
	r := &n.reads
	return n.cfg.LeaseReads && !r.revoked && r.confirmed > r.expired
}

// beginRound numbers a new round, sets its lease timer, and counts the
// leader's own acknowledgement; the caller sends the AppendEntries.
func (n *Node) beginRound() {
	r := &n.reads
	r.round++
	r.acks[n.selfSlot] = r.round
	if n.cfg.LeaseReads {
		n.env.SetTimer(n.cfg.leaseDuration(), nodes.Timer{Kind: timerLease, Arg: r.round})
	}
}

// startRound begins a round and sends it to every follower at once.
func (n *Node) startRound() {
	n.beginRound()
	for i := range n.servers {
		if i != n.selfSlot {
			n.sendAppend(i)
		}
	}
	n.maybeConfirm()
}

// ackRound records that servers[i] echoed round in a reply of this term.
func (n *Node) ackRound(i int, round uint64) {
	if round <= n.reads.acks[i] {
		return
	}
	n.reads.acks[i] = round
	n.maybeConfirm()
}

// maybeConfirm confirms the highest round a majority acknowledged, answers
// the reads it covers, and starts the next round for reads that came during
// it.
func (n *Node) maybeConfirm() {
	r := &n.reads
	copy(n.scratch, r.acks)
	q := n.quorumValue(n.quorum())
	if q <= r.confirmed {
		return
	}
	r.confirmed = q
	n.serveReads()
	if !r.inFlight() && slices.ContainsFunc(r.pending, func(p pendingRead) bool { return p.round > r.confirmed }) {
		n.startRound()
	}
}

// readsAfterCommit gives the reads that waited for an entry of the term to
// commit their read index, and starts a round for them.
func (n *Node) readsAfterCommit() {
	if !n.termCommitted() {
		return
	}
	r := &n.reads
	waiting := false
	for i := range r.pending {
		if p := &r.pending[i]; p.round == 0 {
			p.index, p.round = n.commit, r.round+n.readRounds()
			waiting = true
		}
	}
	if waiting && !r.inFlight() {
		n.startRound()
	}
}

// serveReads answers, in order, the pending reads whose round is confirmed
// and whose read index is applied.
func (n *Node) serveReads() {
	r := &n.reads
	kept := r.pending[:0]
	for _, p := range r.pending {
		if p.round != 0 && p.round <= r.confirmed && p.index <= n.applied {
			n.answerRead(p)
		} else {
			kept = append(kept, p)
		}
	}
	clear(r.pending[len(kept):])
	r.pending = kept
}

// readRounds is how many rounds after the latest one started a read must
// wait for: the next one (§6.4), or two under Bugs.ExtraReadRound.
func (n *Node) readRounds() uint64 {
	if n.cfg.Bugs.ExtraReadRound {
		return 2
	}
	return 1
}

// answerRead answers a get from the state machine.
func (n *Node) answerRead(p pendingRead) {
	n.send(p.to, kv.Reply{Client: p.cmd.Client, Seq: p.cmd.Seq, Result: kv.Result{Value: n.sm.Get(p.cmd.Key)}, Leader: n.self})
}
