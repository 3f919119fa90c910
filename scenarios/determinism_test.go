package scenarios

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/consim/consim/checker"
	"github.com/consim/consim/nodes"
)

// gossip is a deliberately nondeterministic node: every 10ms it sends a
// ping to each peer in Go map iteration order, which changes from run to
// run. It never answers clients (they time out; no checker cares here).
type gossip struct {
	env   nodes.Env
	peers map[nodes.ID]bool
}

type ping struct{}

func (ping) Kind() string { return "ping" }

func (g *gossip) Start(env nodes.Env) {
	g.env = env
	g.peers = map[nodes.ID]bool{}
	for _, id := range env.Servers() {
		if id != env.Self() {
			g.peers[id] = true
		}
	}
	env.SetTimer(10*time.Millisecond, nodes.Timer{})
}

func (g *gossip) Receive(from nodes.ID, m nodes.Message) {}

func (g *gossip) Timer(t nodes.Timer) {
	for id := range g.peers { // the bug: map order reaches the network
		g.env.Send(id, ping{})
	}
	g.env.SetTimer(10*time.Millisecond, nodes.Timer{})
}

func TestCheckDeterminismNamesTheFirstDivergentEvent(t *testing.T) {
	protocols = append(protocols, Protocol{
		Name:     "test-gossip",
		Baseline: true,
		NewServer: func(o Options) (func() nodes.Node, error) {
			return func() nodes.Node { return &gossip{} }, nil
		},
		Checkers: func([]nodes.ID, Options) []checker.Online { return nil },
	})
	defer func() {
		protocols = slices.DeleteFunc(protocols, func(p Protocol) bool { return p.Name == "test-gossip" })
	}()
	s := Base()
	s.Name, s.Clients, s.Duration = "gossip", 0, 3*time.Second
	d, err := CheckDeterminism(s, Options{Protocol: "test-gossip", Seed: 1})
	require.NoError(t, err)
	require.NotNil(t, d, "map order must make the runs differ")
	assert.Equal(t, d.First.At, d.Second.At, "the runs agree up to the divergent event's time")
	assert.NotEqual(t, d.First, d.Second)
	assert.Contains(t, d.String(), "diverge at event")
	t.Log(d)

	raft, _ := Named("swarm")
	d, err = CheckDeterminism(raft, Options{Protocol: "raft", Seed: 3})
	require.NoError(t, err)
	assert.Nil(t, d, "the real protocols are deterministic")
}
