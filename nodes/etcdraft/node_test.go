package etcdraft

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	crand "crypto/rand"
	"math/big"

	"github.com/consim/consim/nodes"
	"github.com/consim/consim/nodes/kv"
)

func TestEtcdElectsALeaderAndCommitsAPut(t *testing.T) {
	c := newCluster(3, 1)
	c.runFor(time.Second)
	l := c.leader()
	require.NotZero(t, l, "a leader within a second")

	// A follower redirects the client to the leader.
	follower := nodes.ID(1)
	if follower == l {
		follower = 2
	}
	put := kv.Command{Client: c.client(), Seq: 1, Op: kv.OpPut, Key: "k", Value: "v"}
	c.request(follower, put)
	c.runFor(50 * time.Millisecond)
	require.Len(t, c.replies, 1)
	assert.Equal(t, kv.ErrNotLeader, c.replies[0].Err)
	assert.Equal(t, l, c.replies[0].Leader)

	c.request(l, put)
	c.request(l, put) // a retry while the first is in flight: one answer
	c.runFor(200 * time.Millisecond)
	require.Len(t, c.replies, 2)
	assert.Empty(t, c.replies[1].Err)
	assert.Equal(t, uint64(1), c.replies[1].Seq)

	get := kv.Command{Client: c.client(), Seq: 2, Op: kv.OpGet, Key: "k"}
	c.request(l, get)
	c.runFor(200 * time.Millisecond)
	require.Len(t, c.replies, 3)
	assert.Equal(t, "v", c.replies[2].Result.Value)

	// Every replica applied the same commands (heartbeats carry the commit).
	for _, id := range c.servers {
		assert.Equal(t, c.applied[l], c.applied[id], "node %v", id)
		assert.Equal(t, "v", c.procs[id].node.sm.Get("k"))
	}
}

func TestEtcdRecoversAfterACrash(t *testing.T) {
	c := newCluster(3, 2)
	c.runFor(time.Second)
	l := c.leader()
	require.NotZero(t, l)
	for seq := uint64(1); seq <= 5; seq++ {
		c.request(l, kv.Command{Client: c.client(), Seq: seq, Op: kv.OpAppend, Key: "k", Value: "x"})
		c.runFor(100 * time.Millisecond)
	}
	require.Len(t, c.replies, 5)
	before := c.hard[l]
	require.GreaterOrEqual(t, before.Commit, uint64(6))

	// Crash the leader: a new one is elected among the others.
	c.crash(l)
	c.runFor(time.Second)
	l2 := c.leader()
	require.NotZero(t, l2)
	assert.NotEqual(t, l, l2)
	c.request(l2, kv.Command{Client: c.client(), Seq: 6, Op: kv.OpAppend, Key: "k", Value: "y"})
	c.runFor(200 * time.Millisecond)
	require.Len(t, c.replies, 6)
	assert.Empty(t, c.replies[5].Err)

	// The old leader restarts from its disk: its term and commit index do
	// not go back, it replays its log into a fresh state machine, and it
	// catches up.
	c.applied[l] = nil
	c.procs[l].start()
	after := c.hard[l]
	assert.GreaterOrEqual(t, after.Term, before.Term)
	assert.GreaterOrEqual(t, after.Commit, before.Commit)
	assert.Equal(t, "xxxxx", c.procs[l].node.sm.Get("k"), "the committed entries are applied again at restart")
	c.runFor(time.Second)
	assert.Equal(t, "xxxxxy", c.procs[l].node.sm.Get("k"))
	assert.Equal(t, c.applied[l2], c.applied[l])
}

func TestEtcdTornTailIsDroppedAndRewritten(t *testing.T) {
	c := newCluster(3, 3)
	c.runFor(time.Second)
	p := c.procs[1]
	recs := p.disk.Records()
	require.NotEmpty(t, recs)
	want := len(recs)
	// A torn write after the last synced record.
	p.disk.Append(append([]byte(nil), recs[len(recs)-1][:2]...))
	p.disk.Sync()
	c.crash(1)
	p.start()
	assert.LessOrEqual(t, len(p.disk.Records()), want, "the torn record is gone from the disk")
	for i, r := range p.disk.Records() {
		_, _, ok := nodes.UnsealRecord(r)
		assert.True(t, ok, "record %d", i)
	}
}

func TestEtcdCorruptRecordHalts(t *testing.T) {
	c := newCluster(3, 4)
	c.runFor(time.Second)
	p := c.procs[1]
	require.GreaterOrEqual(t, len(p.disk.Records()), 2)
	bad := append([]byte(nil), p.disk.Records()[0]...)
	bad[1] ^= 0x5a
	p.disk.Records()[0] = bad
	c.crash(1)
	assert.PanicsWithValue(t, nodes.CorruptStorage{Record: 0, Reason: "etcdraft: record 0 of " +
		itoa(len(p.disk.Records())) + ": bad checksum"}, func() { p.start() })
}

func itoa(n int) string { return big.NewInt(int64(n)).String() }

func TestEtcdRecordsRoundTrip(t *testing.T) {
	c := newCluster(3, 5)
	c.runFor(time.Second)
	l := c.leader()
	require.NotZero(t, l)
	c.request(l, kv.Command{Client: c.client(), Seq: 1, Op: kv.OpCAS, Key: "k", Expected: "", Value: "z"})
	c.runFor(200 * time.Millisecond)
	ms, torn := replay(c.procs[l].disk.Records())
	assert.False(t, torn)
	assert.Equal(t, convert(allEntries(c.procs[l].node.ms)), convert(allEntries(ms)))
	hs, _, _ := ms.InitialState()
	assert.Equal(t, c.hard[l], hardFact(hs))
}

// TestStreamReaderDrivesTheLibrary guards the determinism trick: the library
// draws its election timeouts with crypto/rand.Int(crypto/rand.Reader, ...),
// which must read the swapped-in reader.
func TestStreamReaderDrivesTheLibrary(t *testing.T) {
	draw := func() []int64 {
		var out []int64
		withReader(streamReader{rand.New(rand.NewPCG(7, 7))}, func() {
			for range 20 {
				v, err := crand.Int(crand.Reader, big.NewInt(15))
				require.NoError(t, err)
				out = append(out, v.Int64())
			}
		})
		return out
	}
	assert.Equal(t, draw(), draw())
	_, swapped := crand.Reader.(streamReader)
	assert.False(t, swapped, "crypto/rand.Reader is restored")
}

// TestEtcdSameSeedSameRun: two clusters of the same seed elect the same
// leader at the same time and produce the same disks.
func TestEtcdSameSeedSameRun(t *testing.T) {
	run := func(seed uint64) ([][]byte, nodes.ID) {
		c := newCluster(3, seed)
		c.runFor(2 * time.Second)
		var all [][]byte
		for _, id := range c.servers {
			all = append(all, c.procs[id].disk.Records()...)
		}
		return all, c.leader()
	}
	for seed := uint64(1); seed <= 5; seed++ {
		a, la := run(seed)
		b, lb := run(seed)
		assert.Equal(t, la, lb)
		assert.Equal(t, a, b)
	}
}

// TestEtcdTransfersLeadership: an operator's TransferLeadership moves
// leadership to the named server when it reaches the leader, under load;
// a follower ignores it.
func TestEtcdTransfersLeadership(t *testing.T) {
	c := newCluster(5, 6)
	c.runFor(time.Second)
	l := c.leader()
	require.NotZero(t, l)
	to := l%5 + 1 // another server
	other := to%5 + 1
	if other == l {
		other = other%5 + 1
	}

	// A follower ignores the request.
	c.deliver(to, to, nodes.TransferLeadership{To: other})
	c.runFor(500 * time.Millisecond)
	require.Equal(t, l, c.leader(), "a follower does not act on a transfer")

	// The leader hands over, with a write in flight.
	term := c.procs[l].node.rn.BasicStatus().GetTerm()
	c.request(l, kv.Command{Client: c.client(), Seq: 1, Op: kv.OpPut, Key: "k", Value: "v"})
	c.deliver(l, l, nodes.TransferLeadership{To: to})
	c.runFor(500 * time.Millisecond)
	require.Equal(t, to, c.leader(), "leadership moved to n%d", to)
	assert.Equal(t, term+1, c.procs[to].node.rn.BasicStatus().GetTerm(), "one election, the transferee's")

	// The new leader serves.
	c.request(to, kv.Command{Client: c.client(), Seq: 2, Op: kv.OpGet, Key: "k"})
	c.runFor(300 * time.Millisecond)
	require.NotEmpty(t, c.replies)
	last := c.replies[len(c.replies)-1]
	assert.Equal(t, uint64(2), last.Seq)
	assert.Empty(t, last.Err)
}
