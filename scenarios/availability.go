package scenarios

import (
	"math/bits"
	"slices"
	"time"

	"github.com/consim/consim/checker"
	"github.com/consim/consim/network"
	"github.com/consim/consim/nodes"
	"github.com/consim/consim/nodes/host"
)

// What counts as a connected link for the availability check. A link
// counts when it is not cut, loses none of its messages and delivers
// within availabilityDelayMax: its minimum latency,
// three means of its latency tail, its clog and, when it reorders, the
// longest hold-back. 50ms is the heartbeat interval of every protocol's
// defaults and a third of their shortest election timeout (150ms): a link
// slower than that makes a heartbeat round trip eat most of a follower's
// timeout, so elections churn, and a protocol owes no progress over it (the
// clogged scenario's 120ms links, late-votes' 150ms hold-backs, swarm's
// clogs above 50ms do not count). A link that loses messages does not count
// either, however few: over random loss no fixed bound holds for every
// operation, only one with a probability. The first version counted links
// losing up to a fifth of their messages, and over 111,600 runs of the
// correct protocols (seeds 301:700) it raised two false alarms: a client of
// etcd on lossy (10%) whose requests to the leader were lost six times
// running, and one of raft+readindex on zipfian-hot-keys (5%)
// (TestAvailabilityUnderLossIsNotJudged). Runs with loss are judged by the
// liveness phase, which stops it.
const availabilityDelayMax = 50 * time.Millisecond

// linkCounts says whether a link in state l counts as connected.
func linkCounts(l network.LinkState) bool {
	delay := l.LatencyMin + 3*l.LatencyTailMean + l.Clog
	if l.ReorderRate > 0 {
		delay += l.ReorderDelayMax
	}
	return !l.Cut && l.DropRate == 0 && delay <= availabilityDelayMax
}

// availabilityBound is the time a quorum gets to serve a client (see
// checker.AvailabilityBound):
//
//   - Settle, LivenessWindow/2 × the largest clock drift: the scenario's
//     liveness window is the time it allows a healed cluster to elect and
//     serve (1s in the library, over three of the longest election
//     timeouts of 300ms); a quorum that is already up and caught up needs
//     an election only, half of it, and a server whose timers run slow by
//     a factor d waits d times as long.
//   - Complete, the same again for a re-election inside the quorum, plus
//     the client's search for the leader: two timeouts on each server
//     outside the quorum and on one deposed leader inside it (a client
//     tries a silent server twice before it moves on), and a backoff on
//     every server (a "not leader" reply without a hint).
//
// In the library (5 servers, 150ms client timeout, 20ms backoff) that is
// 500ms to settle, then 1.5s per operation.
func availabilityBound(s Scenario, drift float64) checker.AvailabilityBound {
	election := time.Duration(float64(s.LivenessWindow/2) * max(drift, 1))
	outside := s.Servers - (s.Servers/2 + 1)
	search := time.Duration(outside+1)*2*s.Workload.Timeout + time.Duration(s.Servers)*s.Workload.Backoff
	return checker.AvailabilityBound{Settle: election, Complete: election + search}
}

// availabilityTracker keeps the timeline of what the runner knows about
// the servers and the links: which servers are up, paused (and until
// when), which claim to lead, and which links count as connected. It takes
// a snapshot after every change the runner makes or hears of (a fault, a
// crash, a role change, the liveness phase) and only reads the host and
// the network: it schedules nothing and draws nothing, so a run with the
// tracker is the run without it.
type availabilityTracker struct {
	host          *host.Host
	net           *network.Network
	servers, size int
	leads         []bool          // by id: the server's last role report was leader
	pausedUntil   []time.Duration // by id: when the pause the runner applied ends
	states        []availabilityState
	majority      int
	quorums       []uint32 // every set of majority servers, as masks (bit id-1)
	// healed is the reach after a heal under the current network
	// configuration (nil until the first heal, and again after the
	// liveness phase); only its clients' entries are reused.
	healed []uint32
}

// availabilityState is one snapshot; masks have bit id-1 for server id.
type availabilityState struct {
	at      time.Duration
	up      uint32
	leaders uint32
	// pausedUntil is, for each paused server (index id-1), when its
	// pause ends; 0 for a server that is not paused.
	pausedUntil []time.Duration
	// reach is, by id (index 0 unused), the servers that the node's links
	// to and from both count as connected.
	reach []uint32
}

func newAvailabilityTracker(h *host.Host, n *network.Network, servers, size int) *availabilityTracker {
	t := &availabilityTracker{
		host: h, net: n, servers: servers, size: size,
		leads:       make([]bool, servers+1),
		pausedUntil: make([]time.Duration, servers+1),
		majority:    servers/2 + 1,
	}
	for mask := uint32(1); mask < 1<<servers; mask++ {
		if bits.OnesCount32(mask) == t.majority {
			t.quorums = append(t.quorums, mask)
		}
	}
	return t
}

// role notes a server's role report.
func (t *availabilityTracker) role(now time.Duration, node nodes.ID, leads bool) {
	if int(node) > t.servers || t.leads[node] == leads {
		return
	}
	t.leads[node] = leads
	t.record(now, false)
}

// crashed notes a crash (or a halt, or a panic): the node no longer leads.
func (t *availabilityTracker) crashed(now time.Duration, node nodes.ID) {
	if int(node) <= t.servers {
		t.leads[node] = false
	}
	t.record(now, false)
}

// paused notes a pause of d the runner applied to node at now.
func (t *availabilityTracker) paused(now time.Duration, node nodes.ID, d time.Duration) {
	t.pausedUntil[node] = now + d // a new pause replaces the one in place (host.Pause)
}

// snapshot records the state now, links included: after the liveness
// phase (which changes the network's configuration) or at boot.
func (t *availabilityTracker) snapshot(now time.Duration) {
	t.healed = nil
	t.record(now, true)
}

// fault records the state after fault f. A partition changes links between
// servers only (network.Split), so the clients' links are the last
// snapshot's; after a heal (no cut or clog anywhere) they are what the
// network's configuration makes them, the same after every heal until the
// liveness phase changes it. figure-8 heals and partitions 175 times each
// in a run with 70 clients.
func (t *availabilityTracker) fault(now time.Duration, f Fault) {
	n := len(t.states)
	switch {
	case n > 0 && isPartition(f.Action):
		t.record(now, false)
		reach := slices.Clone(t.states[len(t.states)-1].reach)
		t.reachFrom(reach, 1, t.servers)
		t.states[len(t.states)-1].reach = reach
	case f.Action == ActHeal && t.healed != nil:
		t.record(now, false)
		reach := slices.Clone(t.healed)
		t.reachFrom(reach, 1, t.servers)
		t.states[len(t.states)-1].reach = reach
	default:
		t.record(now, true)
		if f.Action == ActHeal {
			t.healed = t.states[len(t.states)-1].reach
		}
	}
}

// isPartition reports whether a is carried out by run.partition.
func isPartition(a Action) bool {
	switch a {
	case ActPartition, ActPartitionHalves, ActPartitionRandomHalves, ActPartitionMajority,
		ActPartitionLeaderMinority, ActBridge, ActMajoritiesRing, ActIsolate, ActIsolateLeader:
		return true
	}
	return false
}

// record records the state now; a snapshot at the same time as the last
// one replaces it. Unless links is set, the links are the last snapshot's
// (their reach masks shared: no snapshot changes them once taken).
func (t *availabilityTracker) record(now time.Duration, links bool) {
	s := availabilityState{at: now, pausedUntil: make([]time.Duration, t.servers)}
	for id := 1; id <= t.servers; id++ {
		p := t.host.Proc(nodes.ID(id))
		bit := uint32(1) << (id - 1)
		if p.Up() {
			s.up |= bit
			if t.leads[id] {
				s.leaders |= bit
			}
			if p.Paused() {
				s.pausedUntil[id-1] = t.pausedUntil[id]
			}
		}
	}
	if n := len(t.states); !links && n > 0 {
		s.reach = t.states[n-1].reach
	} else {
		s.reach = t.reach()
	}
	if n := len(t.states); n > 0 && t.states[n-1].at == now {
		t.states[n-1] = s
		return
	}
	t.states = append(t.states, s)
}

// reach computes, by node id, the servers that the node's links to and
// from both count as connected.
func (t *availabilityTracker) reach() []uint32 {
	reach := make([]uint32, t.size+1)
	t.reachFrom(reach, 1, t.size)
	return reach
}

// reachFrom fills reach[a] for the nodes a in first..last.
func (t *availabilityTracker) reachFrom(reach []uint32, first, last int) {
	for a := first; a <= last; a++ {
		reach[a] = 0
		for b := 1; b <= t.servers; b++ {
			if a != b && linkCounts(t.net.LinkState(nodes.ID(a), nodes.ID(b))) && linkCounts(t.net.LinkState(nodes.ID(b), nodes.ID(a))) {
				reach[a] |= 1 << (b - 1)
			}
		}
	}
}

// windows turns the timeline into the availability windows of every
// client up to end: for each client and each majority of servers, the
// maximal stretches over which that majority was available to it.
func (t *availabilityTracker) windows(end time.Duration) []checker.AvailabilityWindow {
	opened := make([][]openWindow, t.size+1) // by client id
	var out []checker.AvailabilityWindow
	ids := map[uint32][]nodes.ID{} // one shared, never-modified list per quorum; lookups only
	closeWindow := func(c int, o openWindow, at time.Duration) {
		if at > o.start {
			quorum, ok := ids[o.quorum]
			if !ok {
				quorum = maskIDs(o.quorum)
				ids[o.quorum] = quorum
			}
			out = append(out, checker.AvailabilityWindow{Client: nodes.ID(c), Quorum: quorum, Start: o.start, End: at})
		}
	}
	// advance moves every client's windows to the quorums available at
	// time at in state s with the servers of pausedMask paused.
	advance := func(s availabilityState, pausedMask uint32, at time.Duration) {
		cached, cachedFor := []uint32(nil), uint32(0) // clients mostly share their candidates
		for c := t.servers + 1; c <= t.size; c++ {
			candidates := s.up &^ pausedMask & s.reach[c]
			if cached == nil || candidates != cachedFor {
				cached, cachedFor = t.available(s, candidates), candidates
			}
			available := cached
			kept := opened[c][:0]
			for _, o := range opened[c] {
				if containsMask(available, o.quorum) {
					kept = append(kept, o)
				} else {
					closeWindow(c, o, at)
				}
			}
			for _, q := range available {
				if !containsOpen(kept, q) {
					kept = append(kept, openWindow{quorum: q, start: at})
				}
			}
			opened[c] = kept
		}
	}
	for i, s := range t.states {
		if s.at >= end {
			break
		}
		next := end
		if i+1 < len(t.states) {
			next = min(end, t.states[i+1].at)
		}
		// Pauses end inside a snapshot's stretch without a snapshot of
		// their own: split the stretch at each end.
		at := s.at
		for {
			var pausedMask uint32
			resume := next
			for id, until := range s.pausedUntil {
				if until > at {
					pausedMask |= 1 << id
					resume = min(resume, until)
				}
			}
			advance(s, pausedMask, at)
			if resume >= next {
				break
			}
			at = resume
		}
	}
	for c := t.servers + 1; c <= t.size; c++ {
		for _, o := range opened[c] {
			closeWindow(c, o, end)
		}
	}
	return out
}

// openWindow is a quorum available to a client since start.
type openWindow struct {
	quorum uint32
	start  time.Duration
}

// available lists the majorities of candidates that are connected among
// themselves and hold every server that claims to lead. A server outside
// the quorum that still believes it leads (a deposed leader in a minority
// that has not stepped down, paused or not) can hold a client's request,
// and its followers' hints send the client back to it (Raft thesis §6.2:
// without CheckQuorum it may do so forever), so no quorum without it is
// available until it steps down.
func (t *availabilityTracker) available(s availabilityState, candidates uint32) []uint32 {
	var out []uint32
	for _, q := range t.quorums {
		if q&candidates != q || s.leaders&s.up&^q != 0 {
			continue
		}
		connected := true
		for rest := q; rest != 0 && connected; rest &= rest - 1 {
			id := bits.TrailingZeros32(rest) + 1
			connected = q&^(1<<(id-1))&^s.reach[id] == 0
		}
		if connected {
			out = append(out, q)
		}
	}
	return out
}

func containsMask(masks []uint32, m uint32) bool {
	for _, x := range masks {
		if x == m {
			return true
		}
	}
	return false
}

func containsOpen(opened []openWindow, q uint32) bool {
	for _, o := range opened {
		if o.quorum == q {
			return true
		}
	}
	return false
}

// maskIDs lists the servers of a mask in increasing order.
func maskIDs(mask uint32) []nodes.ID {
	var ids []nodes.ID
	for ; mask != 0; mask &= mask - 1 {
		ids = append(ids, nodes.ID(bits.TrailingZeros32(mask)+1))
	}
	return ids
}
