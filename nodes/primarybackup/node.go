package primarybackup

import (
	"fmt"
	"time"

	"github.com/consim/consim/nodes"
	"github.com/consim/consim/nodes/kv"
)

// timerPing is the kind of the ping timer, the node's only timer.
const timerPing = 1

// Node is one primary-backup server. Build it with New; the simulator drives
// it through the nodes.Node methods, a fresh Node at boot and at every
// restart.
type Node struct {
	cfg Config
	env nodes.Env
	// self is env.Self(); servers is env.Servers(), in increasing order,
	// self included.
	self    nodes.ID
	servers []nodes.ID

	// log holds the commands applied here: log[i] at index i+1. Durable:
	// every command is synced before it is applied and reported.
	log []kv.Command
	// applied is how many commands of log were applied to sm. Between two
	// inputs applied == len(log).
	applied uint64
	// sm is the key-value state machine, rebuilt from the log at Start.
	sm *kv.StateMachine

	// heardAt[i] is when servers[i] was last heard from (Start counts as
	// hearing from everyone, so that a restarted server gives the servers
	// below it a failure timeout to show up before it takes over).
	heardAt []time.Duration
	// claims[i] is whether servers[i] said in its last Ping that it
	// serves as primary.
	claims []bool
	// role is leader while this server serves as primary, else follower;
	// "" before Start. It changes only in setRole.
	role nodes.Role

	// pingSeq numbers the armings of the ping timer; only the latest one
	// is acted on.
	pingSeq uint64
}

// New returns a fresh node; Start boots it. New does not validate cfg.
func New(cfg Config) *Node { return &Node{cfg: cfg} }

var _ nodes.Node = (*Node)(nil)

// Start boots the node or restarts it after a crash: it replays its log
// into a fresh state machine, reports every index applied, takes every
// other server for alive, takes up its role and pings them.
func (n *Node) Start(env nodes.Env) {
	if n.env != nil {
		panic(fmt.Sprintf("primary-backup: node %v started twice", n.self))
	}
	n.env = env
	n.self = env.Self()
	n.servers = env.Servers()
	if n.indexOf(n.self) < 0 {
		panic(fmt.Sprintf("primary-backup: node %v is not among the servers %v", n.self, n.servers))
	}
	n.heardAt = make([]time.Duration, len(n.servers))
	for i := range n.heardAt {
		n.heardAt[i] = env.Now()
	}
	n.claims = make([]bool, len(n.servers))
	n.sm = kv.NewStateMachine()
	log, torn := replay(env.Storage().Records())
	if torn {
		n.rewrite(log) // nothing may follow a bad record
	}
	n.log = log
	for _, cmd := range log {
		n.apply(cmd)
	}
	n.refreshRole()
	n.pingAll()
}

// Receive handles a delivered message.
func (n *Node) Receive(from nodes.ID, m nodes.Message) {
	if req, ok := m.(kv.Request); ok {
		n.refreshRole()
		n.handleRequest(from, req)
		return
	}
	i := n.indexOf(from)
	if i < 0 || from == n.self {
		return
	}
	n.heardAt[i] = n.env.Now()
	n.refreshRole()
	switch m := m.(type) {
	case Ping:
		n.claims[i] = m.Primary
		if n.role == nodes.RoleLeader {
			n.catchUp(from, m.Applied)
		}
	case Update:
		if n.role != nodes.RoleLeader && from == n.primary() {
			n.handleUpdate(m)
		}
	}
}

// Timer handles a fired timer: the ping.
func (n *Node) Timer(t nodes.Timer) {
	if t.Kind != timerPing || t.Arg != n.pingSeq {
		return
	}
	n.refreshRole()
	n.pingAll()
}

// alive reports whether servers[i] looks alive: itself, or heard from
// within FailureTimeout.
func (n *Node) alive(i int) bool {
	return n.servers[i] == n.self || n.env.Now()-n.heardAt[i] < n.cfg.FailureTimeout
}

// primary is the server this node takes for primary: the lowest id that
// looks alive, itself included. Only its updates are applied.
func (n *Node) primary() nodes.ID {
	for i, id := range n.servers {
		if n.alive(i) {
			return id
		}
	}
	panic(fmt.Sprintf("primary-backup: node %v finds no primary among %v", n.self, n.servers))
}

// refreshRole takes up the role the failure detector says: this server
// serves as primary when every server below it looks dead and a majority,
// itself included, looks alive (the primary of a minority steps down, as
// MongoDB's does; that check is all the agreement there is).
func (n *Node) refreshRole() {
	alive := 0
	for i := range n.servers {
		if n.alive(i) {
			alive++
		}
	}
	if n.primary() == n.self && alive > len(n.servers)/2 {
		n.setRole(nodes.RoleLeader)
	} else {
		n.setRole(nodes.RoleFollower)
	}
}

// hint is the server to send clients to: this one if it serves, else the
// lowest live server that last said it serves, else 0 (unknown).
func (n *Node) hint() nodes.ID {
	if n.role == nodes.RoleLeader {
		return n.self
	}
	for i, id := range n.servers {
		if id != n.self && n.claims[i] && n.alive(i) {
			return id
		}
	}
	return 0
}

// setRole is the only place the role changes; it reports the change.
func (n *Node) setRole(r nodes.Role) {
	if n.role == r {
		return
	}
	n.role = r
	n.env.Observe(nodes.RoleChanged{Role: r})
}

// handleRequest serves a client command. The primary applies it at once,
// answers, and pushes it to the backups without waiting for them; any
// other server answers ErrNotLeader with a hint.
func (n *Node) handleRequest(from nodes.ID, m kv.Request) {
	if n.role != nodes.RoleLeader {
		n.env.Send(from, kv.Reply{Client: m.Cmd.Client, Seq: m.Cmd.Seq, Err: kv.ErrNotLeader, Leader: n.hint()})
		return
	}
	first := uint64(len(n.log)) + 1
	n.append(m.Cmd)
	result, outcome := n.apply(m.Cmd)
	if outcome != kv.Stale {
		n.env.Send(from, kv.Reply{Client: m.Cmd.Client, Seq: m.Cmd.Seq, Result: result, Leader: n.self})
	}
	update := Update{First: first, Cmds: []kv.Command{m.Cmd}}
	for _, id := range n.servers {
		if id != n.self {
			n.env.Send(id, update)
		}
	}
}

// handleUpdate applies, in index order, the commands of m that extend the
// log. A command at an index already applied is ignored, even when it
// differs (asynchronous replication does not reconcile forked logs); a gap
// waits for the primary's catch-up.
func (n *Node) handleUpdate(m Update) {
	if m.First == 0 {
		return // malformed
	}
	next := uint64(len(n.log)) + 1
	if m.First > next || m.First+uint64(len(m.Cmds)) <= next {
		return
	}
	fresh := m.Cmds[next-m.First:]
	for _, cmd := range fresh {
		n.append(cmd)
	}
	for _, cmd := range fresh {
		n.apply(cmd)
	}
}

// catchUp sends a backup that reported applying up to applied the next
// commands it lacks.
func (n *Node) catchUp(to nodes.ID, applied uint64) {
	if applied >= uint64(len(n.log)) {
		return
	}
	hi := min(uint64(len(n.log)), applied+uint64(n.cfg.MaxCommandsPerMessage))
	n.env.Send(to, Update{First: applied + 1, Cmds: append([]kv.Command(nil), n.log[applied:hi]...)})
}

// pingAll tells every other server that this one is alive, whether it
// serves, and how far it applied, and re-arms the ping timer.
func (n *Node) pingAll() {
	ping := Ping{Applied: uint64(len(n.log)), Primary: n.role == nodes.RoleLeader}
	for _, id := range n.servers {
		if id != n.self {
			n.env.Send(id, ping)
		}
	}
	n.pingSeq++
	n.env.SetTimer(n.cfg.PingInterval, nodes.Timer{Kind: timerPing, Arg: n.pingSeq})
}

// append makes cmd durable as the log's next command.
func (n *Node) append(cmd kv.Command) {
	st := n.env.Storage()
	st.Append(encodeCommand(cmd))
	st.Sync()
	n.log = append(n.log, cmd)
}

// apply applies the log's next unapplied command, which is cmd, and
// reports it.
func (n *Node) apply(cmd kv.Command) (kv.Result, kv.Outcome) {
	result, outcome := n.sm.Apply(cmd)
	n.applied++
	if n.applied > uint64(len(n.log)) || n.log[n.applied-1] != cmd {
		panic(fmt.Sprintf("primary-backup: node %v applying %v at index %d of a log of %d", n.self, cmd, n.applied, len(n.log)))
	}
	n.env.Observe(kv.AppliedFact{Index: n.applied, Cmd: cmd})
	return result, outcome
}

// rewrite replaces the storage with the records of log.
func (n *Node) rewrite(log []kv.Command) {
	records := make([][]byte, len(log))
	for i, cmd := range log {
		records[i] = encodeCommand(cmd)
	}
	n.env.Storage().Replace(records)
}

// indexOf returns id's position in servers, or -1.
func (n *Node) indexOf(id nodes.ID) int {
	for i, s := range n.servers {
		if s == id {
			return i
		}
	}
	return -1
}
