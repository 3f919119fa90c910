package scenarios

import (
	"time"

	"github.com/consim/consim/checker"
	"github.com/consim/consim/network"
	"github.com/consim/consim/nodes"
	"github.com/consim/consim/nodes/etcdraft"
	"github.com/consim/consim/nodes/raft"
	"github.com/consim/consim/nodes/raftfacts"
)

// effects collects, during a run, what the feature-effect checks (issue 16,
// checker.ClassEffect) judge after the World stops: the servers' roles,
// terms and transfer facts, the transfer requests the runner delivered, the
// state of the network and the host after every fault action, crash and
// the start of the liveness phase, and (with snapshots) the servers' disks
// once per liveness window. It only observes: it schedules nothing, draws
// nothing and sends nothing, so runs keep their fingerprints.
type effects struct {
	// transfer, preVote, checkQuorum and snapshot say which checks apply:
	// those of the features the protocol has (etcd's adapter always runs
	// PreVote and CheckQuorum and supports transfers; it never compacts).
	transfer, preVote, checkQuorum, snapshot bool
	// expectExpiries: the protocol reports TransferExpiredFacts (our Raft).
	expectExpiries bool
	timing         checker.EffectTiming
	snapshotBound  checker.SnapshotBound

	states    []checker.WorldState
	roles     []checker.RoleEvent
	terms     []checker.TermEvent
	transfers []checker.TransferRequest
	expiries  []checker.TransferExpiry
	storage   []checker.StorageSample
	// lastIndex[i] is server i+1's durable last log index, from its facts.
	lastIndex []uint64
	// drifted, clogged and lossy are what the runner set up and has not
	// undone yet.
	drifted        []bool
	clogged, lossy bool
}

// newEffects returns the collector for a run of proto on s, or nil when no
// check applies.
func newEffects(proto Protocol, s Scenario, o Options) *effects {
	e := &effects{}
	switch BaseProtocol(proto.Name) {
	case "raft":
		cfg := raftConfig(featuresOf(proto), o)
		e.transfer, e.expectExpiries = true, true
		e.preVote, e.checkQuorum, e.snapshot = cfg.PreVote, cfg.CheckQuorum, cfg.SnapshotEvery > 0
		e.timing = checker.EffectTiming{ElectionTimeout: cfg.ElectionTimeoutMin, Slack: effectSlack, MaxLag: uint64(cfg.MaxEntriesPerAppend)}
		e.snapshotBound = checker.SnapshotBound{Every: cfg.SnapshotEvery, SlackRecords: raft.StorageSlackRecords}
	case "etcd":
		cfg := etcdraft.DefaultConfig()
		e.transfer, e.preVote, e.checkQuorum = true, cfg.PreVote, cfg.CheckQuorum
		e.timing = checker.EffectTiming{ElectionTimeout: time.Duration(cfg.ElectionTick) * cfg.TickInterval, Slack: effectSlack + cfg.TickInterval, MaxLag: 64}
	default:
		return nil
	}
	e.lastIndex = make([]uint64, s.Servers)
	e.drifted = make([]bool, s.Servers)
	e.lossy = lossy(s.Network)
	return e
}

// effectSlack is the Slack of the effect checks' bounds: messages in
// flight on a calm network (1ms + exp(2ms) one way by default; a few round
// trips).
const effectSlack = 30 * time.Millisecond

// featuresOf lists the features proto has on.
func featuresOf(proto Protocol) []Feature {
	var on []Feature
	for _, f := range proto.Features {
		for _, name := range proto.On {
			if f.Name == name {
				on = append(on, f)
			}
		}
	}
	return on
}

// lossy is whether c may drop or hold back messages.
func lossy(c network.Config) bool {
	if c.DropRate > 0 || c.ReorderRate > 0 {
		return true
	}
	for _, l := range c.Links {
		if l.DropRate > 0 || l.ReorderRate > 0 {
			return true
		}
	}
	return false
}

// note records the world's state now (replacing a state noted at the same
// time).
func (e *effects) note(r *run) {
	if e == nil {
		return
	}
	n := r.scenario.Servers
	s := checker.WorldState{At: r.world.Now(), Up: make([]bool, n), Paused: make([]bool, n), Drifted: make([]bool, n),
		Linked: make([][]bool, n), Clogged: e.clogged, Lossy: e.lossy}
	for i := range n {
		p := r.host.Proc(nodes.ID(i + 1))
		s.Up[i], s.Paused[i], s.Drifted[i] = p.Up(), p.Paused(), e.drifted[i]
		s.Linked[i] = make([]bool, n)
		for j := range n {
			s.Linked[i][j] = r.net.Connected(nodes.ID(i+1), nodes.ID(j+1))
		}
	}
	if k := len(e.states); k > 0 && e.states[k-1].At == s.At {
		e.states[k-1] = s
		return
	}
	e.states = append(e.states, s)
}

// fault records what fault f changed, after the runner applied it.
func (e *effects) fault(r *run, f Fault) {
	if e == nil {
		return
	}
	switch f.Action {
	case ActDrift:
		e.drifted[f.Node-1] = f.Factor != 1
	case ActClog:
		e.clogged = true
	case ActHeal:
		e.clogged = false
	}
	e.note(r)
}

// livenessPhase records the calm the liveness phase brings.
func (e *effects) livenessPhase(r *run) {
	if e == nil {
		return
	}
	if !r.scenario.KeepFaults {
		clear(e.drifted)
		e.clogged, e.lossy = false, false
	}
	e.note(r)
}

// crashed records a server going down (crash, halt or panic).
func (e *effects) crashed(r *run, node nodes.ID) {
	if e == nil {
		return
	}
	if int(node) > len(e.drifted) {
		return
	}
	e.drifted[node-1] = false
	e.roles = append(e.roles, checker.RoleEvent{At: r.world.Now(), Node: node})
	e.note(r)
}

// observe records the facts the checks read.
func (e *effects) observe(now time.Duration, node nodes.ID, f nodes.Fact) {
	if e == nil {
		return
	}
	if int(node) > len(e.lastIndex) {
		return // a client
	}
	switch f := f.(type) {
	case nodes.RoleChanged:
		e.roles = append(e.roles, checker.RoleEvent{At: now, Node: node, Role: f.Role, Epoch: f.Epoch})
	case *raftfacts.HardStateFact:
		e.terms = append(e.terms, checker.TermEvent{At: now, Node: node, Term: f.Term})
	case raftfacts.HardStateFact:
		e.terms = append(e.terms, checker.TermEvent{At: now, Node: node, Term: f.Term})
	case *raftfacts.LogFact:
		e.lastIndex[node-1] = f.After + uint64(len(f.Entries))
	case raftfacts.LogFact:
		e.lastIndex[node-1] = f.After + uint64(len(f.Entries))
	case raftfacts.SnapshotFact:
		e.lastIndex[node-1] = max(e.lastIndex[node-1], f.Index)
	case raftfacts.TransferExpiredFact:
		e.expiries = append(e.expiries, checker.TransferExpiry{At: now, Node: node, To: f.To, Term: f.Term, Reason: f.Reason, TimeoutNowSent: f.TimeoutNowSent})
	}
}

// transferDelivered records an operator's transfer request as it reaches
// the server the runner took for the leader.
func (e *effects) transferDelivered(r *run, to nodes.ID, m nodes.TransferLeadership) {
	if e == nil {
		return
	}
	p := r.host.Proc(to)
	var lag uint64
	if int(m.To) <= len(e.lastIndex) && e.lastIndex[to-1] > e.lastIndex[m.To-1] {
		lag = e.lastIndex[to-1] - e.lastIndex[m.To-1]
	}
	e.transfers = append(e.transfers, checker.TransferRequest{At: r.world.Now(), From: to, To: m.To,
		Led: r.leader == to, Handled: p.Up() && !p.Paused(), Lag: lag})
}

// sampleStorage reads every server's disk (with snapshots on).
func (e *effects) sampleStorage(r *run) {
	if e == nil {
		return
	}
	if !e.snapshot {
		return
	}
	for _, id := range r.host.Servers() {
		if st, ok := raft.ReadStored(r.host.Proc(id).Disk().Records()); ok {
			e.storage = append(e.storage, checker.StorageSample{At: r.world.Now(), Node: id, Records: st.Records,
				SnapIndex: st.SnapIndex, LastIndex: st.LastIndex, Commit: st.Commit})
		}
	}
}

// judge runs the checks that apply, after the World stopped at end.
func (e *effects) judge(r *run, end time.Duration) []checker.Violation {
	if e == nil {
		return nil
	}
	e.sampleStorage(r)
	timeline := checker.Timeline{States: e.states, End: end}
	var out []checker.Violation
	if e.transfer {
		out = append(out, checker.CheckTransferEffect(checker.TransferInput{Requests: e.transfers, Expiries: e.expiries,
			ExpectExpiries: e.expectExpiries, Roles: e.roles, Timeline: timeline, Timing: e.timing})...)
	}
	if e.preVote {
		out = append(out, checker.CheckPreVoteEffect(checker.PreVoteInput{Terms: e.terms, Roles: e.roles,
			Transfers: e.transfers, Timeline: timeline, Timing: e.timing})...)
	}
	if e.checkQuorum {
		out = append(out, checker.CheckCheckQuorumEffect(checker.CheckQuorumInput{Roles: e.roles,
			Transfers: e.transfers, Timeline: timeline, Timing: e.timing})...)
	}
	if e.snapshot {
		out = append(out, checker.CheckSnapshotBounded(e.storage, e.snapshotBound)...)
	}
	return out
}
