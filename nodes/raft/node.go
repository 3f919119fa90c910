package raft

import (
	"fmt"

	"github.com/consim/consim/nodes"
	"github.com/consim/consim/nodes/kv"
	"github.com/consim/consim/nodes/raftfacts"
)

// Node is one Raft server. Build it with New; the simulator drives it through
// the nodes.Node methods, a fresh Node at boot and at every restart.
//
// Between two inputs (Start, Receive, Timer) nothing is unsynced: every
// change to term, vote, commit or log is synced (persist) before any message
// that depends on it, and at the latest when the input ends (except under
// Bugs.ReplyBeforeSync, see syncOwed).
type Node struct {
	cfg Config
	env nodes.Env
	// self is env.Self(); servers is env.Servers(), in increasing order,
	// self included; selfSlot is self's position in servers.
	self     nodes.ID
	servers  []nodes.ID
	selfSlot int

	// term is currentTerm (Figure 2): the latest term this server has seen
	// (§5.1). It never decreases, across restarts too.
	term uint64
	// vote is votedFor (Figure 2): the server this one voted for in term,
	// or 0. At most one vote per term (§5.2); durable before the reply.
	vote nodes.ID
	// log is log[] (Figure 2, §5.3). Entries up to commit are never
	// removed, except into a snapshot (§7).
	log raftLog
	// snap is the last snapshot (§7), covering log entries 1..log.snapIndex
	// (snap.index = log.snapIndex, snap.term = log.snapTerm); snap.data is
	// nil when there is none. snapDigest is the digest of its state.
	// snapDirty is whether it changed since the last Sync. Invariant:
	// snap.index <= applied <= commit (but under Bugs.ApplyBeforeCommit).
	snap       snapshot
	snapDigest uint64
	snapDirty  bool
	// commit is commitIndex (Figure 2): the highest index known committed
	// (§5.3, §5.4.2). Persisted like etcd's HardState.Commit. Invariant:
	// commit <= log.lastIndex(); it never decreases, across restarts too.
	commit uint64
	// applied is lastApplied (Figure 2): entries 1..applied were applied to
	// sm in index order. Invariant: applied <= commit, and only a durable
	// commit index is applied (Bugs.ApplyBeforeCommit breaks both).
	applied uint64
	// sm is the key-value state machine, rebuilt from the log at Start.
	sm *kv.StateMachine

	// role is what this server currently does; "" before Start. It
	// changes only in becomeFollower, becomeCandidate and becomeLeader.
	role nodes.Role
	// leader is the leader of term as far as this server knows, or 0; it
	// is the hint given to clients.
	leader nodes.ID

	// hardDirty is whether term, vote or commit changed since the last
	// Sync; logDirty whether the log did. When logDirty, the first
	// logDirtyFrom entries are unchanged since the last Sync.
	hardDirty    bool
	logDirty     bool
	logDirtyFrom uint64
	// syncOwed is whether a reply went out before the changes it depends
	// on were synced; they are synced at the start of the next input.
	// Only ever set under Bugs.ReplyBeforeSync.
	syncOwed bool

	// election is the election timer of followers and candidates (§5.2);
	// heartbeat is the leader's heartbeat timer.
	election  timer
	heartbeat timer

	// granted[i] is whether servers[i] granted its vote in term; used only
	// as candidate.
	granted []bool
	// progress[i] is the leader's view of servers[i] (Figure 2 "volatile
	// state on leaders"), reinitialized after each election; used only as
	// leader. progress[selfSlot].match is the durable last index.
	progress []progress
	// waits are the client requests this leader appended in term, by
	// increasing index; cleared when it stops leading (clients retry).
	waits []wait
	// scratch is reused by quorumMatch and quorumRound.
	scratch []uint64

	// contact is armed for ElectionTimeoutMin whenever this server hears
	// from the leader of its term, and at Start (Config.PreVote,
	// Config.CheckQuorum): while it is armed the server refuses pre-votes,
	// and under CheckQuorum ignores votes, for other candidates (thesis
	// §9.6, §4.2.3). Measured on this server's own clock, which may drift.
	contact timer
	// checkQuorum is the leader's CheckQuorum timer; active[i] is whether
	// servers[i] answered an AppendEntries since the last check (thesis
	// §6.2). Used only as leader.
	checkQuorum timer
	active      []bool
	// transferee is the server this leader hands leadership to, or 0,
	// while it takes no new commands; transfer bounds the attempt;
	// timeoutNowSent says the attempt's TimeoutNow went out (thesis
	// §3.10).
	transferee     nodes.ID
	transfer       timer
	timeoutNowSent bool
	// reads are the leader's ReadIndex reads and confirmation rounds.
	reads readState

	// logFact, hardFact and appliedFact hold the facts being reported, so
	// that reporting one (by pointer: observers read a fact during Observe
	// and copy what they keep) allocates nothing.
	logFact     LogFact
	hardFact    HardStateFact
	appliedFact kv.AppliedFact
}

// New returns a fresh node; Start boots it. New does not validate cfg.
func New(cfg Config) *Node { return &Node{cfg: cfg} }

var _ nodes.Node = (*Node)(nil)

// Start boots the node or restarts it after a crash: it replays the storage,
// re-applies the committed entries to a fresh state machine and becomes
// follower with a fresh election timer.
func (n *Node) Start(env nodes.Env) {
	if n.env != nil {
		panic(fmt.Sprintf("raft: node %v started twice", n.self))
	}
	n.env = env
	n.self = env.Self()
	n.servers = env.Servers()
	n.selfSlot = n.slotOf(n.self)
	if n.selfSlot < 0 {
		panic(fmt.Sprintf("raft: node %v is not among the servers %v", n.self, n.servers))
	}
	n.granted = make([]bool, len(n.servers))
	n.progress = make([]progress, len(n.servers))
	n.scratch = make([]uint64, len(n.servers))
	n.active = make([]bool, len(n.servers))
	n.reads.acks = make([]uint64, len(n.servers))
	n.sm = kv.NewStateMachine()
	n.restore()
	n.becomeFollower(n.term, 0)
	// A restarted server may have acknowledged a leader just before it
	// crashed; it keeps out of elections for a window as if it had just
	// heard from that leader, so that the leader's lease stays sound.
	n.touchLeader()
	n.persist()
}

// Receive handles a delivered message.
func (n *Node) Receive(from nodes.ID, m nodes.Message) {
	n.payOwedSync()
	if t, ok := m.(nodes.TransferLeadership); ok {
		n.handleTransfer(t.To)
	} else {
		n.step(from, m)
	}
	if !n.syncOwed {
		n.persist()
	}
}

// Timer handles a fired timer.
func (n *Node) Timer(t nodes.Timer) {
	n.payOwedSync()
	switch t.Kind {
	case timerElection:
		if n.election.Fired(t) && n.role != nodes.RoleLeader {
			n.electionTimeout()
		}
	case timerHeartbeat:
		if n.heartbeat.Fired(t) && n.role == nodes.RoleLeader {
			n.broadcastHeartbeat()
		}
	case timerContact:
		n.contact.Fired(t)
	case timerCheckQuorum:
		if n.checkQuorum.Fired(t) && n.role == nodes.RoleLeader {
			n.checkActiveQuorum()
		}
	case timerTransfer:
		if n.transfer.Fired(t) && n.transferee != 0 {
			n.endTransfer(raftfacts.TransferTimedOut)
		}
	case timerLease:
		n.reads.expired = max(n.reads.expired, t.Arg)
	}
	n.persist()
}

// step routes a message: client requests first, then the term rules of §5.1
// (adopt a higher term as follower, reject a lower one; but ignore a vote
// request while the leader is heard from, thesis §4.2.3, and never adopt a
// pre-vote's term, §9.6), then the role's step function.
func (n *Node) step(from nodes.ID, m nodes.Message) {
	if req, ok := m.(kv.Request); ok {
		n.handleRequest(from, req)
		return
	}
	m = byPointer(m)
	term, ok := messageTerm(m)
	if !ok || n.slotOf(from) < 0 {
		return
	}
	switch {
	case term > n.term && n.ignoreInLease(m):
		return
	case term > n.term && !isPreVote(m):
		var leader nodes.ID
		switch m.(type) {
		case *AppendEntries, InstallSnapshot:
			leader = from
		}
		n.becomeFollower(term, leader)
	case term < n.term:
		n.rejectStale(from, m)
		n.rejectStaleSnapshot(from, m)
		return
	}
	if n.stepSnapshot(from, m) {
		return
	}
	switch m := m.(type) {
	case RequestVote:
		if m.PreVote {
			n.handlePreVote(from, m)
			return
		}
	case RequestVoteReply:
		if m.PreVote {
			if n.role == RolePreCandidate {
				n.tallyPreVote(from, m)
			}
			return
		}
	}
	switch n.role {
	case nodes.RoleFollower:
		n.stepFollower(from, m)
	case RolePreCandidate:
		if _, ok := m.(*AppendEntries); ok {
			n.becomeFollower(n.term, from) // this term has a leader (§5.2)
		}
		n.stepFollower(from, m)
	case nodes.RoleCandidate:
		n.stepCandidate(from, m)
	case nodes.RoleLeader:
		n.stepLeader(from, m)
	}
}

// slotOf returns id's position in servers, or -1.
func (n *Node) slotOf(id nodes.ID) int {
	return nodes.IndexOf(n.servers, id)
}

// quorum is the size of a majority of the servers.
func (n *Node) quorum() int { return len(n.servers)/2 + 1 }

// send hands m to the network. Everything m may depend on must be durable.
func (n *Node) send(to nodes.ID, m nodes.Message) {
	if (n.hardDirty || n.logDirty) && !n.syncOwed {
		panic(fmt.Sprintf("raft: node %v sending %v with unsynced state (term %d commit %d lastIndex %d)",
			n.self, m, n.term, n.commit, n.log.lastIndex()))
	}
	n.env.Send(to, m)
}
