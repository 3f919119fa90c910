package paxos

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/consim/consim/nodes"
	"github.com/consim/consim/nodes/kv"
)

// Each deliberately broken variant of Bugs is shown both ways: the story
// with the bug off keeps the rule, the same story with it on breaks it.

// withBugs returns the default config with bugs switched on.
func withBugs(bugs Bugs) Config {
	cfg := DefaultConfig()
	cfg.Bugs = bugs
	return cfg
}

func TestAdoptLowestBallot(t *testing.T) {
	x, y, z := put(9, 1, "k", "x"), put(9, 2, "k", "y"), put(9, 3, "k", "z")
	// Server 1 of 5 accepted x in b1.2; server 2 reports y in b1.4 (the
	// newest, perhaps chosen), server 3 reports z in b1.3.
	promises := map[nodes.ID][]PromiseEntry{
		2: {{Slot: 1, Ballot: ballot(1, 4), Cmd: y}},
		3: {{Slot: 1, Ballot: ballot(1, 3), Cmd: z}},
	}
	tests := []struct {
		name string
		bugs Bugs
		want kv.Command
	}{
		{"correct: the highest ballot's value", Bugs{}, y},
		{"broken: the lowest ballot's value", Bugs{AdoptLowestBallot: true}, x},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, _, _, facts := phase1With(t, withBugs(tt.bugs), []kv.Command{x}, promises)
			assert.Equal(t, []ProposeFact{{Slot: 1, Ballot: n.ballot, Cmd: tt.want}}, factsOf[ProposeFact](facts))
		})
	}
}

func TestRoundOnlyBallots(t *testing.T) {
	tests := []struct {
		name   string
		bugs   Bugs
		broken bool
	}{
		{"correct: the node id breaks ties", Bugs{}, false},
		{"broken: rounds alone", Bugs{RoundOnlyBallots: true}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t, 2, 3)
			n := startNode(env, withBugs(tt.bugs))
			n.Receive(3, Prepare{Ballot: ballot(3, 3), From: 1})
			env.takeSent()
			env.takeFacts()

			// Server 1 picked the same round: b3.1 is below b3.3.
			n.Receive(1, Prepare{Ballot: ballot(3, 1), From: 1})
			n.Receive(1, Accept{Ballot: ballot(3, 1), Slot: 1, Cmds: []kv.Command{put(9, 1, "k", "x")}})

			sent := env.takeSent()
			assert.Equal(t, ballot(3, 3), n.promised, "the promise stays")
			if !tt.broken {
				assert.Equal(t, []Nack{
					{Ballot: ballot(3, 1), Promised: ballot(3, 3)},
					{Ballot: ballot(3, 1), Promised: ballot(3, 3)},
				}, msgsOf[Nack](sent))
				assert.Empty(t, env.takeFacts())
				return
			}
			assert.Empty(t, msgsOf[Nack](sent))
			assert.Equal(t, []Promise{{Ballot: ballot(3, 1), From: 1}}, msgsOf[Promise](sent), "both proposers of round 3 win")
			assert.Equal(t, []Accepted{{Ballot: ballot(3, 1), Slot: 1, Count: 1}}, msgsOf[Accepted](sent))
			assert.Equal(t, []AcceptFact{{Slot: 1, Ballot: ballot(3, 1), Cmd: put(9, 1, "k", "x")}}, factsOf[AcceptFact](env.takeFacts()))
		})
	}
}

func TestAcceptBelowPromise(t *testing.T) {
	tests := []struct {
		name   string
		bugs   Bugs
		broken bool
	}{
		{"correct: rejected", Bugs{}, false},
		{"broken: accepted", Bugs{AcceptBelowPromise: true}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t, 2, 3)
			n := startNode(env, withBugs(tt.bugs))
			n.Receive(3, Prepare{Ballot: ballot(4, 3), From: 1})
			env.takeSent()
			env.takeFacts()
			cmd := put(9, 1, "k", "x")

			// The deposed leader of b2.1 has not noticed yet.
			n.Receive(1, Accept{Ballot: ballot(2, 1), Slot: 1, Cmds: []kv.Command{cmd}})

			sent := env.takeSent()
			assert.Equal(t, ballot(4, 3), n.promised, "the promise stays")
			assert.Equal(t, nodes.ID(0), n.leader, "the deposed leader is not followed")
			if !tt.broken {
				assert.Equal(t, []sentMsg{{from: 2, to: 1, msg: Nack{Ballot: ballot(2, 1), Promised: ballot(4, 3)}}}, sent)
				assert.Empty(t, env.takeFacts())
				assert.Empty(t, durable(env.disk).slots)
				return
			}
			assert.Equal(t, []sentMsg{{from: 2, to: 1, msg: Accepted{Ballot: ballot(2, 1), Slot: 1, Count: 1}}}, sent)
			assert.Equal(t, []nodes.Fact{AcceptFact{Slot: 1, Ballot: ballot(2, 1), Cmd: cmd}}, env.takeFacts())
			d := durable(env.disk)
			require.Len(t, d.slots, 1)
			assert.Equal(t, ballot(2, 1), d.slots[0].acceptedBallot, "durable before the reply")
		})
	}
}

func TestPromiseNotDurable(t *testing.T) {
	tests := []struct {
		name   string
		bugs   Bugs
		broken bool
	}{
		{"correct: the promise survives a crash", Bugs{}, false},
		{"broken: the promise is forgotten", Bugs{PromiseNotDurable: true}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := withBugs(tt.bugs)
			env := newEnv(t, 2, 3)
			n := startNode(env, cfg)
			n.Receive(3, Prepare{Ballot: ballot(4, 3), From: 1})
			assert.Equal(t, []Promise{{Ballot: ballot(4, 3), From: 1}}, msgsOf[Promise](env.takeSent()))
			assert.Equal(t, []nodes.Fact{PromiseFact{Ballot: ballot(4, 3)}}, env.takeFacts(), "reported as durable either way")

			env.disk.Crash()
			env2 := env.restartEnv()
			n2 := New(cfg)
			n2.Start(env2)
			recovered := factsOf[PromiseFact](env2.takeFacts())
			n2.Receive(1, Prepare{Ballot: ballot(2, 1), From: 1})

			sent := env2.takeSent()
			if !tt.broken {
				assert.Equal(t, []PromiseFact{{Ballot: ballot(4, 3)}}, recovered)
				assert.Equal(t, []Nack{{Ballot: ballot(2, 1), Promised: ballot(4, 3)}}, msgsOf[Nack](sent))
				return
			}
			assert.Equal(t, []PromiseFact{{}}, recovered, "the promise went backwards")
			assert.Equal(t, []Promise{{Ballot: ballot(2, 1), From: 1}}, msgsOf[Promise](sent), "a ballot it promised to ignore")
		})
	}
}

func TestPromiseNotDurableIsNotCompactedEither(t *testing.T) {
	n, env := newLeader(t, 3, withBugs(Bugs{PromiseNotDurable: true}))
	require.False(t, n.promised.IsZero())
	n.maybeCompact(true)
	assert.True(t, durable(env.disk).promised.IsZero(), "a compaction does not write the promise either")
}

func TestPhase1Quorum(t *testing.T) {
	tests := []struct {
		name     string
		bugs     Bugs
		promises int // promises from other servers that win phase 1 among 5
	}{
		{"correct: a majority", Bugs{}, 2},
		{"broken: two of five", Bugs{Phase1Quorum: 2, Phase2Quorum: 3}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t, 1, 5)
			n := startNode(env, withBugs(tt.bugs))
			p := campaign(t, n, env)
			for id := nodes.ID(2); id < nodes.ID(2+tt.promises); id++ {
				require.Equal(t, nodes.RoleCandidate, n.role, "before the promise of %v", id)
				n.Receive(id, Promise{Ballot: p.Ballot, From: p.From})
			}
			assert.Equal(t, nodes.RoleLeader, n.role)
		})
	}
}

func TestPhase2Quorum(t *testing.T) {
	tests := []struct {
		name        string
		bugs        Bugs
		acceptances int // acceptances from other servers that choose a value among 5
	}{
		{"correct: a majority", Bugs{}, 2},
		{"flexible: two of five", Bugs{Phase1Quorum: 4, Phase2Quorum: 2}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, _ := newLeader(t, 5, withBugs(tt.bugs))
			n.Receive(8, kv.Request{Cmd: put(8, 1, "x", "1")})
			for id := nodes.ID(2); id < nodes.ID(2+tt.acceptances); id++ {
				require.Equal(t, uint64(0), n.learned, "before the acceptance of %v", id)
				n.Receive(id, Accepted{Ballot: n.ballot, Slot: 1, Count: 1})
			}
			assert.Equal(t, uint64(1), n.learned)
		})
	}
}

func TestQuorumLargerThanTheClusterPanics(t *testing.T) {
	env := newEnv(t, 1, 3)
	assert.PanicsWithValue(t, "paxos: quorums of 4 (phase 1) and 0 (phase 2) among 3 servers", func() {
		New(withBugs(Bugs{Phase1Quorum: 4})).Start(env)
	})
}

// phase1With is phase1 with the given config.
func phase1With(t *testing.T, cfg Config, own []kv.Command, promises map[nodes.ID][]PromiseEntry) (*Node, *fakeEnv, []sentMsg, []nodes.Fact) {
	env := newEnv(t, 1, 5)
	n := startNode(env, cfg)
	if len(own) > 0 {
		n.Receive(2, Accept{Ballot: ballot(1, 2), Slot: 1, Cmds: own})
	}
	p := campaign(t, n, env)
	env.takeFacts()
	for _, id := range []nodes.ID{2, 3, 4, 5} {
		if entries, ok := promises[id]; ok {
			n.Receive(id, Promise{Ballot: p.Ballot, From: p.From, Entries: entries})
		}
	}
	require.Equal(t, nodes.RoleLeader, n.role)
	return n, env, env.takeSent(), env.takeFacts()
}
