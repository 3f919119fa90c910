package etcdraft

import (
	crand "crypto/rand"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"

	"github.com/consim/consim/nodes"
	"github.com/consim/consim/nodes/kv"
	"github.com/consim/consim/nodes/raftfacts"
)

// Config tunes the adapter and the RawNode it runs.
type Config struct {
	// TickInterval is the simulated time between RawNode.Tick calls.
	TickInterval time.Duration
	// ElectionTick and HeartbeatTick are raft.Config's, in ticks: the
	// election timeout is drawn in [ElectionTick, 2*ElectionTick) ticks.
	ElectionTick  int
	HeartbeatTick int
	// PreVote and CheckQuorum are raft.Config's (etcd server enables both).
	PreVote     bool
	CheckQuorum bool
}

// DefaultConfig: ticks of 10ms, election timeout 150-300ms, heartbeats every
// 50ms, PreVote and CheckQuorum on.
func DefaultConfig() Config {
	return Config{TickInterval: 10 * time.Millisecond, ElectionTick: 15, HeartbeatTick: 5, PreVote: true, CheckQuorum: true}
}

// Validate reports a configuration the adapter cannot run.
func (c Config) Validate() error {
	switch {
	case c.TickInterval <= 0:
		return fmt.Errorf("etcdraft: tick interval %v must be positive", c.TickInterval)
	case c.HeartbeatTick <= 0:
		return fmt.Errorf("etcdraft: heartbeat tick %d must be positive", c.HeartbeatTick)
	case c.ElectionTick <= c.HeartbeatTick:
		return fmt.Errorf("etcdraft: election tick %d must exceed heartbeat tick %d", c.ElectionTick, c.HeartbeatTick)
	}
	return nil
}

const timerTick = 1

// wait is a client request this leader proposed and will answer when the
// command is applied.
type wait struct {
	to     nodes.ID
	client nodes.ID
	seq    uint64
}

// Node is a go.etcd.io/raft/v3 RawNode serving the kv state machine.
type Node struct {
	cfg  Config
	env  nodes.Env
	self nodes.ID

	rn   *raft.RawNode
	ms   *raft.MemoryStorage
	sm   *kv.StateMachine
	tick nodes.Rearmable

	// applied is the last log index applied to sm.
	applied uint64
	// waits are the proposed client commands awaiting their answer.
	waits []wait
	// role is the last reported role.
	role nodes.Role

	// scratch for facts, reused.
	logFact  raftfacts.LogFact
	hardFact raftfacts.HardStateFact
}

// New returns a node to Start.
func New(cfg Config) *Node { return &Node{cfg: cfg} }

// Start boots or restarts the node from env.Storage().
func (n *Node) Start(env nodes.Env) {
	n.env, n.self = env, env.Self()
	n.sm = kv.NewStateMachine()
	n.role = nodes.RoleFollower
	st := env.Storage()
	ms, torn := replay(st.Records())
	n.ms = ms
	if torn {
		st.Replace(compacted(ms))
	}
	hs, _, _ := ms.InitialState()
	n.env.Observe(raftfacts.LogFact{After: 0, Entries: convert(allEntries(ms))})
	n.env.Observe(hardFact(hs))

	voters := make([]uint64, 0, len(env.Servers()))
	for _, id := range env.Servers() {
		voters = append(voters, uint64(id))
	}
	rc := &raft.Config{
		ID:              uint64(n.self),
		ElectionTick:    n.cfg.ElectionTick,
		HeartbeatTick:   n.cfg.HeartbeatTick,
		Storage:         &storage{MemoryStorage: ms, conf: &pb.ConfState{Voters: voters}},
		Applied:         0,
		MaxSizePerMsg:   1 << 20,
		MaxInflightMsgs: 256,
		CheckQuorum:     n.cfg.CheckQuorum,
		PreVote:         n.cfg.PreVote,
		Logger:          quietLogger{},
	}
	n.withRand(func() {
		rn, err := raft.NewRawNode(rc)
		if err != nil {
			panic(fmt.Sprintf("etcdraft: %v", err))
		}
		n.rn = rn
	})
	n.tick.Arm(env, timerTick, n.cfg.TickInterval)
	n.process()
}

// Receive handles a peer message or a client request.
func (n *Node) Receive(from nodes.ID, m nodes.Message) {
	switch m := m.(type) {
	case Message:
		msg, err := m.unwrap()
		if err != nil {
			return // not from an adapter: drop it
		}
		n.withRand(func() { _ = n.rn.Step(msg) }) // errors: a message for an unknown peer or a local type; ignore
	case kv.Request:
		n.handleRequest(from, m)
	case nodes.TransferLeadership:
		n.transferLeadership(m)
	default:
		return
	}
	n.process()
}

// Timer handles the tick.
func (n *Node) Timer(t nodes.Timer) {
	if t.Kind != timerTick || !n.tick.Fired(t) {
		return
	}
	n.tick.Arm(n.env, timerTick, n.cfg.TickInterval)
	n.withRand(n.rn.Tick)
	n.process()
}

func (n *Node) handleRequest(from nodes.ID, m kv.Request) {
	st := n.rn.BasicStatus()
	if st.RaftState != raft.StateLeader {
		n.env.Send(from, kv.Reply{Client: m.Cmd.Client, Seq: m.Cmd.Seq, Err: kv.ErrNotLeader, Leader: nodes.ID(st.Lead)})
		return
	}
	for _, w := range n.waits {
		if w.client == m.Cmd.Client && w.seq == m.Cmd.Seq {
			return // a retry of a command already proposed; one answer will do
		}
	}
	var err error
	n.withRand(func() { err = n.rn.Propose(kv.AppendCommand(nil, m.Cmd)) })
	if err != nil {
		return // dropped (e.g. a leadership transfer): the client retries
	}
	n.waits = append(n.waits, wait{to: from, client: m.Cmd.Client, seq: m.Cmd.Seq})
}

// transferLeadership hands leadership to m.To through the library (etcd's
// MsgTransferLeader: the leader catches the transferee up and sends it
// MsgTimeoutNow). As the nodes contract asks, a server that does not lead
// ignores the request (etcd would forward it to the leader it knows).
func (n *Node) transferLeadership(m nodes.TransferLeadership) {
	if n.rn.BasicStatus().RaftState != raft.StateLeader {
		return
	}
	n.withRand(func() { n.rn.TransferLeader(uint64(m.To)) })
}

// process handles every pending Ready: persist and sync, report, send,
// apply, advance.
func (n *Node) process() {
	for n.rn.HasReady() {
		rd := n.rn.Ready()
		if rd.Snapshot != nil && !raft.IsEmptySnap(rd.Snapshot) {
			panic("etcdraft: unexpected snapshot (the adapter never compacts the raft log)")
		}
		n.persist(rd)
		for _, m := range rd.Messages {
			n.env.Send(nodes.ID(m.GetTo()), wrap(m))
		}
		n.apply(rd.CommittedEntries)
		n.rn.Advance(rd)
	}
}

// persist writes rd's entries and hard state to the MemoryStorage and the
// disk, syncs, then reports the facts and any role change.
func (n *Node) persist(rd raft.Ready) {
	st := n.env.Storage()
	wrote := false
	if len(rd.Entries) > 0 {
		if err := n.ms.Append(rd.Entries); err != nil {
			panic(fmt.Sprintf("etcdraft: append: %v", err))
		}
		st.Append(encodeEntries(rd.Entries))
		wrote = true
	}
	hardChanged := !raft.IsEmptyHardState(rd.HardState)
	if hardChanged {
		hs := &pb.HardState{Term: new(rd.HardState.GetTerm()), Vote: new(rd.HardState.GetVote()), Commit: new(rd.HardState.GetCommit())}
		if err := n.ms.SetHardState(hs); err != nil {
			panic(fmt.Sprintf("etcdraft: set hard state: %v", err))
		}
		st.Append(encodeHardState(hs))
		wrote = true
	}
	if wrote {
		st.Sync()
	}
	// A step-down is reported before the log it may truncate (the checker
	// holds a leader to append-only); a new leadership after the durable
	// state it rests on.
	stepDown := rd.SoftState != nil && rd.SoftState.RaftState != raft.StateLeader
	if stepDown {
		n.roleChanged(rd.SoftState.RaftState)
	}
	if len(rd.Entries) > 0 {
		n.logFact = raftfacts.LogFact{After: rd.Entries[0].GetIndex() - 1, Entries: convert(rd.Entries)}
		n.env.Observe(&n.logFact)
	}
	if hardChanged {
		n.hardFact = hardFact(rd.HardState)
		n.env.Observe(&n.hardFact)
	}
	if rd.SoftState != nil && !stepDown {
		n.roleChanged(rd.SoftState.RaftState)
	}
	if wrote {
		n.maybeCompact()
	}
}

func (n *Node) roleChanged(s raft.StateType) {
	role := nodes.RoleFollower
	switch s {
	case raft.StateLeader:
		role = nodes.RoleLeader
	case raft.StateCandidate, raft.StatePreCandidate:
		role = nodes.RoleCandidate
	}
	if role == n.role {
		return
	}
	if n.role == nodes.RoleLeader {
		n.waits = nil // whoever leads next answers the retries
	}
	n.role = role
	n.env.Observe(nodes.RoleChanged{Role: role, Epoch: n.rn.BasicStatus().GetTerm()})
}

// apply applies the committed entries not yet applied, reporting each and
// answering the client waiting for it.
func (n *Node) apply(ents []*pb.Entry) {
	for _, e := range ents {
		if e.GetIndex() <= n.applied {
			continue
		}
		if e.GetIndex() != n.applied+1 {
			panic(fmt.Sprintf("etcdraft: node %v applying index %d after %d", n.self, e.GetIndex(), n.applied))
		}
		n.applied = e.GetIndex()
		cmd := command(e)
		result, outcome := n.sm.Apply(cmd)
		n.env.Observe(kv.AppliedFact{Index: n.applied, Cmd: cmd})
		if cmd.Op == kv.OpNoop {
			continue
		}
		for i, w := range n.waits {
			if w.client == cmd.Client && w.seq == cmd.Seq {
				n.waits = slices.Delete(n.waits, i, i+1)
				if outcome != kv.Stale {
					n.env.Send(w.to, kv.Reply{Client: cmd.Client, Seq: cmd.Seq, Result: result, Leader: n.self})
				}
				break
			}
		}
	}
}

// maybeCompact rewrites the disk as one entries record and one hard state
// when it holds many more records than the log has entries.
func (n *Node) maybeCompact() {
	st := n.env.Storage()
	last, _ := n.ms.LastIndex()
	if uint64(len(st.Records())) > compactSlack+last {
		st.Replace(compacted(n.ms))
	}
}

// command decodes the kv command of an entry; an empty or non-normal entry
// (the empty entry a new leader appends) is a no-op.
func command(e *pb.Entry) kv.Command {
	if e.GetType() != pb.EntryNormal || len(e.GetData()) == 0 {
		return kv.Noop
	}
	cmd, rest, err := kv.DecodeCommand(e.GetData())
	if err != nil || len(rest) != 0 {
		panic(fmt.Sprintf("etcdraft: entry %d holds no command: %v", e.GetIndex(), err))
	}
	return cmd
}

func convert(ents []*pb.Entry) []raftfacts.Entry {
	out := make([]raftfacts.Entry, len(ents))
	for i, e := range ents {
		out[i] = raftfacts.Entry{Term: e.GetTerm(), Cmd: command(e)}
	}
	return out
}

func hardFact(hs *pb.HardState) raftfacts.HardStateFact {
	return raftfacts.HardStateFact{Term: hs.GetTerm(), Vote: nodes.ID(hs.GetVote()), Commit: hs.GetCommit()}
}

// randMu serializes, process-wide, the calls into the library that may draw
// a randomized election timeout, while crypto/rand.Reader is swapped for a
// node's stream (see the package comment).
var randMu sync.Mutex

// streamReader produces bytes from a simulated random stream.
type streamReader struct{ r *rand.Rand }

func (s streamReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(s.r.Uint64())
	}
	return len(p), nil
}

// withRand runs f with crypto/rand.Reader reading this node's env.Rand().
func (n *Node) withRand(f func()) { withReader(streamReader{n.env.Rand()}, f) }

func withReader(r streamReader, f func()) {
	randMu.Lock()
	saved := crand.Reader
	crand.Reader = r
	defer func() {
		crand.Reader = saved
		randMu.Unlock()
	}()
	f()
}

// quietLogger discards the library's log lines (they would carry wall-clock
// times) but keeps its panics.
type quietLogger struct{}

func (quietLogger) Debug(...any)          {}
func (quietLogger) Debugf(string, ...any) {}
func (quietLogger) Error(...any)          {}
func (quietLogger) Errorf(string, ...any) {}
func (quietLogger) Info(...any)           {}
func (quietLogger) Infof(string, ...any)  {}
func (quietLogger) Warning(...any)        {}
func (quietLogger) Warningf(string, ...any) {
}
func (quietLogger) Fatal(v ...any)                 { panic(fmt.Sprint(v...)) }
func (quietLogger) Fatalf(format string, v ...any) { panic(fmt.Sprintf(format, v...)) }
func (quietLogger) Panic(v ...any)                 { panic(fmt.Sprint(v...)) }
func (quietLogger) Panicf(format string, v ...any) { panic(fmt.Sprintf(format, v...)) }
