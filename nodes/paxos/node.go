package paxos

import (
	"fmt"
	"time"

	"github.com/consim/consim/nodes"
	"github.com/consim/consim/nodes/kv"
)

// slot is everything a node knows of one log slot, as acceptor, learner and
// (while leading) proposer.
type slot struct {
	// acceptedBallot and accepted are the proposal with the highest ballot
	// this acceptor accepted here (zero ballot: none). Durable.
	acceptedBallot Ballot
	accepted       kv.Command
	// chosen says this replica learned value as the slot's chosen value.
	// Durable; never unset.
	chosen bool
	value  kv.Command

	// proposed says this node, as leader, proposed a value here in its
	// current ballot; it accepted it at once, so that while it leads the
	// proposal is (acceptedBallot, accepted) (see proposal). acks has bit i
	// set when servers[i] accepted it (the leader's own bit only once its
	// acceptance is durable). Volatile: cleared whenever the node becomes
	// leader.
	proposed bool
	acks     uint64
}

// Node is one Multi-Paxos server. Build it with New; the simulator drives it
// through the nodes.Node methods, a fresh Node at boot and at every restart.
//
// Between two inputs (Start, Receive, Timer) nothing is unsynced: every
// change to the promise, an accepted proposal or a learned value is synced
// (persist) before any message that depends on it, and at the latest when
// the input ends.
type Node struct {
	cfg Config
	env nodes.Env
	// self is env.Self(); servers is env.Servers(), in increasing order,
	// self included; selfIndex is self's position in servers.
	self      nodes.ID
	servers   []nodes.ID
	selfIndex int

	// promised is the acceptor's promise: it accepts no proposal below it
	// and answers no Prepare below it. It never decreases, across restarts
	// too; durable before any reply that depends on it.
	promised Ballot
	// slots is the log: slot s is slots[s-1].
	slots []slot
	// learned is the chosen prefix: slots 1..learned are all chosen here.
	// lastChosen is the highest slot chosen here (>= learned).
	learned    uint64
	lastChosen uint64
	// applied is how many slots were applied to sm, in slot order.
	// Invariant: applied <= learned, and only durable values are applied.
	applied uint64
	// sm is the key-value state machine, rebuilt from the learned values at
	// Start.
	sm *kv.StateMachine

	// role is what this server currently does as proposer; "" before
	// Start. It changes only in becomeFollower, becomeCandidate and
	// becomeLeader.
	role nodes.Role
	// ballot is the ballot this node campaigns with (candidate) or leads
	// (leader); as follower it is the last one it used. Invariant: as
	// candidate or leader, ballot == promised.
	ballot Ballot
	// leader is the leader this follower believes in, or 0; it is the hint
	// given to clients.
	leader nodes.ID
	// seen is the highest ballot this node has seen anywhere (in a
	// request, a Nack, or its own promise); a campaign picks a round above
	// it.
	seen Ballot
	// heardAt is when this follower last admitted a request from leader.
	// Until FailureTimeoutMin after it, the follower disregards Prepares
	// from other nodes (see disregards).
	heardAt time.Duration

	// prepareFrom is the From of the candidate's Prepare; promises[i] is
	// servers[i]'s Promise of ballot, if received (ok[i]). Candidate only.
	prepareFrom uint64
	promises    []Promise
	promisedBy  []bool

	// next is the slot the leader gives the next new command. Invariant
	// as leader: every slot below next is chosen here or proposed in
	// ballot.
	next uint64
	// waits are the client requests the leader proposed in ballot, by
	// increasing slot; cleared when it stops leading (clients retry).
	waits []wait
	// answeredAt[i] is when the leader last heard servers[i] answer a
	// request of its ballot (Promise, Accepted, Progress). The leader's
	// lease holds while a majority, itself included, answered within
	// FailureTimeoutMin (see leaseHolds).
	answeredAt []time.Duration

	// dirty says records were appended since the last Sync; facts are the
	// durable facts they stand for, reported after the Sync.
	dirty bool
	facts []nodes.Fact

	// failure is the failure-detection timer of followers and candidates;
	// heartbeat is the leader's.
	failure   timer
	heartbeat timer
}

// New returns a fresh node; Start boots it. New does not validate cfg.
func New(cfg Config) *Node { return &Node{cfg: cfg} }

var _ nodes.Node = (*Node)(nil)

// Start boots the node or restarts it after a crash: it replays the
// storage, reports the recovered promise, re-applies the learned prefix to a
// fresh state machine and becomes follower with a fresh failure timer.
func (n *Node) Start(env nodes.Env) {
	if n.env != nil {
		panic(fmt.Sprintf("paxos: node %v started twice", n.self))
	}
	n.env = env
	n.self = env.Self()
	n.servers = env.Servers()
	n.selfIndex = n.indexOf(n.self)
	if n.selfIndex < 0 {
		panic(fmt.Sprintf("paxos: node %v is not among the servers %v", n.self, n.servers))
	}
	if len(n.servers) > 64 {
		panic(fmt.Sprintf("paxos: %d servers, at most 64 supported", len(n.servers)))
	}
	if q1, q2 := n.cfg.Bugs.Phase1Quorum, n.cfg.Bugs.Phase2Quorum; q1 > len(n.servers) || q2 > len(n.servers) {
		panic(fmt.Sprintf("paxos: quorums of %d (phase 1) and %d (phase 2) among %d servers", q1, q2, len(n.servers)))
	}
	n.promises = make([]Promise, len(n.servers))
	n.promisedBy = make([]bool, len(n.servers))
	n.answeredAt = make([]time.Duration, len(n.servers))
	n.sm = kv.NewStateMachine()
	n.restore()
	n.becomeFollower(0)
	n.persist()
}

// Receive handles a delivered message.
func (n *Node) Receive(from nodes.ID, m nodes.Message) {
	n.step(from, m)
	n.persist()
}

// Timer handles a fired timer.
func (n *Node) Timer(t nodes.Timer) {
	switch t.Kind {
	case timerFailure:
		if n.failure.Fired(t) && n.role != nodes.RoleLeader {
			n.campaign()
		}
	case timerHeartbeat:
		if n.heartbeat.Fired(t) && n.role == nodes.RoleLeader {
			n.tick()
		}
	}
	n.persist()
}

// step routes a message: client requests first; then the requests every
// acceptor and learner serves in any role; then the answers, to the role's
// step function.
func (n *Node) step(from nodes.ID, m nodes.Message) {
	if req, ok := m.(kv.Request); ok {
		n.handleRequest(from, req)
		return
	}
	if n.indexOf(from) < 0 || from == n.self {
		return
	}
	switch m := m.(type) {
	case Prepare:
		n.handlePrepare(from, m)
	case Accept:
		n.handleAccept(from, m)
	case Heartbeat:
		n.handleHeartbeat(from, m)
	case Learn:
		n.handleLearn(from, m)
	default:
		switch n.role {
		case nodes.RoleFollower:
			n.stepFollower(from, m)
		case nodes.RoleCandidate:
			n.stepCandidate(from, m)
		case nodes.RoleLeader:
			n.stepLeader(from, m)
		}
	}
}

// indexOf returns id's position in servers, or -1.
func (n *Node) indexOf(id nodes.ID) int {
	return nodes.IndexOf(n.servers, id)
}

// quorum is the size of a majority of the servers.
func (n *Node) quorum() int { return len(n.servers)/2 + 1 }

// phase1Quorum is the number of promises that wins phase 1: a majority,
// unless Bugs.Phase1Quorum says otherwise.
func (n *Node) phase1Quorum() int {
	if q := n.cfg.Bugs.Phase1Quorum; q != 0 {
		return q
	}
	return n.quorum()
}

// phase2Quorum is the number of acceptances that chooses a value, and of
// answers that keeps a leader's lease: a majority, unless
// Bugs.Phase2Quorum says otherwise.
func (n *Node) phase2Quorum() int {
	if q := n.cfg.Bugs.Phase2Quorum; q != 0 {
		return q
	}
	return n.quorum()
}

// below reports whether ballot a is below ballot b as this node's acceptor
// and proposer order them: by round and then node (Ballot.Less), or by
// round alone with Bugs.RoundOnlyBallots.
func (n *Node) below(a, b Ballot) bool {
	if n.cfg.Bugs.RoundOnlyBallots {
		return a.Round < b.Round
	}
	return a.Less(b)
}

// slot returns slot s (>= 1), growing the log as needed.
func (n *Node) slot(s uint64) *slot {
	if s == 0 {
		panic(fmt.Sprintf("paxos: node %v asked for slot 0", n.self))
	}
	for uint64(len(n.slots)) < s {
		n.slots = append(n.slots, slot{})
	}
	return &n.slots[s-1]
}

// proposal returns the leader's proposal at slot sl, which it proposed in
// its ballot and accepted itself then; it cannot have accepted anything
// else there since without stepping down.
func (n *Node) proposal(s uint64, sl *slot) kv.Command {
	if !sl.proposed || sl.acceptedBallot != n.ballot {
		panic(fmt.Sprintf("paxos: node %v leading %v has no proposal at slot %d (proposed %v, accepted %v)",
			n.self, n.ballot, s, sl.proposed, sl.acceptedBallot))
	}
	return sl.accepted
}

// send hands m to the network. Everything m may depend on must be durable.
func (n *Node) send(to nodes.ID, m nodes.Message) {
	if n.dirty {
		panic(fmt.Sprintf("paxos: node %v sending %v with unsynced state (promised %v learned %d)",
			n.self, m, n.promised, n.learned))
	}
	n.env.Send(to, m)
}

// sawBallot notes a ballot seen in a message, so that a later campaign
// picks a higher round.
func (n *Node) sawBallot(b Ballot) {
	if n.seen.Less(b) {
		n.seen = b
	}
}
