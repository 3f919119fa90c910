package etcdraft

import (
	"container/heap"
	"math/rand/v2"
	"time"

	"github.com/consim/consim/nodes"
	"github.com/consim/consim/nodes/kv"
	"github.com/consim/consim/nodes/raftfacts"
)

// cluster is a minimal in-process world for the adapter's unit tests: a
// clock, an event queue (time, then insertion order), reliable links with a
// fixed latency, disks that survive crashes, and a recorder of facts and
// client replies. The client is node id len(servers)+1.
type cluster struct {
	now     time.Duration
	seq     uint64
	queue   events
	servers []nodes.ID
	procs   map[nodes.ID]*proc
	replies []kv.Reply
	// roles and hard states reported, per node.
	leaderOf map[uint64]nodes.ID
	hard     map[nodes.ID]raftfacts.HardStateFact
	applied  map[nodes.ID][]kv.AppliedFact
	latency  time.Duration
	// cut, when set, drops messages between the two sides.
	isolated nodes.ID
}

type proc struct {
	c     *cluster
	id    nodes.ID
	node  *Node
	disk  *nodes.Disk
	rng   *rand.Rand
	inc   int // incarnation: a crash invalidates pending inputs
	up    bool
	timer uint64
	dead  map[nodes.TimerID]bool
}

type event struct {
	at   time.Duration
	seq  uint64
	to   nodes.ID
	inc  int
	from nodes.ID
	msg  nodes.Message
	tid  nodes.TimerID
	t    *nodes.Timer
}

type events []*event

func (e events) Len() int { return len(e) }
func (e events) Less(i, j int) bool {
	if e[i].at != e[j].at {
		return e[i].at < e[j].at
	}
	return e[i].seq < e[j].seq
}
func (e events) Swap(i, j int) { e[i], e[j] = e[j], e[i] }
func (e *events) Push(x any)   { *e = append(*e, x.(*event)) }
func (e *events) Pop() any {
	old := *e
	x := old[len(old)-1]
	*e = old[:len(old)-1]
	return x
}

func newCluster(n int, seed uint64) *cluster {
	c := &cluster{procs: map[nodes.ID]*proc{}, leaderOf: map[uint64]nodes.ID{}, hard: map[nodes.ID]raftfacts.HardStateFact{},
		applied: map[nodes.ID][]kv.AppliedFact{}, latency: 2 * time.Millisecond}
	for i := 1; i <= n; i++ {
		c.servers = append(c.servers, nodes.ID(i))
	}
	for _, id := range c.servers {
		p := &proc{c: c, id: id, disk: nodes.NewDisk(), rng: rand.New(rand.NewPCG(seed, uint64(id))), dead: map[nodes.TimerID]bool{}}
		c.procs[id] = p
		p.start()
	}
	return c
}

func (p *proc) start() {
	p.inc++
	p.up = true
	p.node = New(DefaultConfig())
	p.node.Start(p)
}

func (c *cluster) crash(id nodes.ID) {
	p := c.procs[id]
	p.up = false
	p.inc++
	p.disk.Crash()
}

func (c *cluster) push(e *event) {
	c.seq++
	e.seq = c.seq
	heap.Push(&c.queue, e)
}

// runFor runs events until the clock passes now+d.
func (c *cluster) runFor(d time.Duration) {
	end := c.now + d
	for c.queue.Len() > 0 && c.queue[0].at <= end {
		e := heap.Pop(&c.queue).(*event)
		c.now = e.at
		p := c.procs[e.to]
		if p == nil || !p.up || p.inc != e.inc {
			continue
		}
		if e.t != nil {
			if p.dead[e.tid] {
				continue
			}
			p.node.Timer(*e.t)
			continue
		}
		p.node.Receive(e.from, e.msg)
	}
	c.now = end
}

func (c *cluster) client() nodes.ID { return nodes.ID(len(c.servers) + 1) }

// request sends cmd from the client to server `to`.
func (c *cluster) request(to nodes.ID, cmd kv.Command) {
	p := c.procs[to]
	c.push(&event{at: c.now + c.latency, to: to, inc: p.inc, from: c.client(), msg: kv.Request{Cmd: cmd}})
}

func (c *cluster) leader() nodes.ID {
	var best uint64
	var id nodes.ID
	for term, l := range c.leaderOf {
		if term >= best && c.procs[l].up && c.procs[l].node.rn.BasicStatus().RaftState.String() == "StateLeader" {
			best, id = term, l
		}
	}
	return id
}

// nodes.Env of a proc.
func (p *proc) Self() nodes.ID               { return p.id }
func (p *proc) Servers() []nodes.ID          { return p.c.servers }
func (p *proc) Now() time.Duration           { return p.c.now }
func (p *proc) Rand() *rand.Rand             { return p.rng }
func (p *proc) Storage() nodes.Storage       { return p.disk }
func (p *proc) CancelTimer(id nodes.TimerID) { p.dead[id] = true }
func (p *proc) SetTimer(after time.Duration, t nodes.Timer) nodes.TimerID {
	p.timer++
	tt := t
	p.c.push(&event{at: p.c.now + after, to: p.id, inc: p.inc, tid: nodes.TimerID(p.timer), t: &tt})
	return nodes.TimerID(p.timer)
}

func (p *proc) Send(to nodes.ID, m nodes.Message) {
	c := p.c
	if to == c.client() {
		if r, ok := m.(kv.Reply); ok {
			c.replies = append(c.replies, r)
		}
		return
	}
	if c.isolated != 0 && (to == c.isolated || p.id == c.isolated) {
		return
	}
	q := c.procs[to]
	c.push(&event{at: c.now + c.latency, to: to, inc: q.inc, from: p.id, msg: m})
}

func (p *proc) Observe(f nodes.Fact) {
	c := p.c
	switch f := f.(type) {
	case nodes.RoleChanged:
		if f.Role == nodes.RoleLeader {
			if prev, ok := c.leaderOf[f.Epoch]; ok && prev != p.id {
				panic("two leaders in one term")
			}
			c.leaderOf[f.Epoch] = p.id
		}
	case raftfacts.HardStateFact:
		c.hard[p.id] = f
	case *raftfacts.HardStateFact:
		c.hard[p.id] = *f
	case kv.AppliedFact:
		c.applied[p.id] = append(c.applied[p.id], f)
	}
}

// deliver hands m to server `to` after the link latency, as if from `from`.
func (c *cluster) deliver(from, to nodes.ID, m nodes.Message) {
	c.push(&event{at: c.now + c.latency, to: to, inc: c.procs[to].inc, from: from, msg: m})
}
