package raft

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/consim/consim/nodes"
	"github.com/consim/consim/nodes/kv"
)

// Tests of the features beyond the paper's Raft: PreVote (thesis §9.6),
// CheckQuorum (§6.2, §4.2.3), leadership transfer (§3.10), ReadIndex reads
// (§6.4) and leader-lease reads (§6.4.1).

// configWith returns DefaultConfig with the given features switched on.
func configWith(features ...func(*Config)) Config {
	cfg := DefaultConfig()
	for _, f := range features {
		f(&cfg)
	}
	return cfg
}

func preVote(c *Config)     { c.PreVote = true }
func checkQuorum(c *Config) { c.CheckQuorum = true }
func readIndex(c *Config)   { c.ReadIndex = true }

// leaseReads switches on LeaseReads and the features it needs.
func leaseReads(c *Config) { c.ReadIndex, c.CheckQuorum, c.LeaseReads = true, true, true }

// ack delivers to n the replies that the servers in from, their logs
// matching n's, send to the AppendEntries in sent: success at the message's
// last index, echoing its round.
func ack(n *Node, sent []sentMsg, from ...nodes.ID) {
	for _, s := range sent {
		if m, ok := s.msg.(AppendEntries); ok && slices.Contains(from, s.to) {
			n.Receive(s.to, AppendEntriesReply{Term: m.Term, Success: true,
				Index: m.PrevLogIndex + uint64(len(m.Entries)), ReadRound: m.ReadRound})
		}
	}
}

// get is a client get for tests.
func get(client nodes.ID, seq uint64, key string) kv.Command {
	return kv.Command{Client: client, Seq: seq, Op: kv.OpGet, Key: key}
}

// records counts the records on d, synced or not.
func records(d *nodes.Disk) int { return len(d.Records()) }

// --- PreVote -------------------------------------------------------------

func TestPreVoteOnElectionTimeout(t *testing.T) {
	env := newEnv(t, 1, 3)
	seedDisk(env.disk, hardState{term: 2, vote: 3}, entries(1, 2))
	n := startNode(env, configWith(preVote))
	before := records(env.disk)

	env.fire(n, timerElection)

	facts := env.takeFacts()
	assert.Equal(t, []nodes.RoleChanged{{Role: RolePreCandidate, Epoch: 2}}, factsOf[nodes.RoleChanged](facts))
	assert.Empty(t, factsOf[HardStateFact](facts), "a pre-vote changes no hard state")
	assert.Equal(t, before, records(env.disk), "nothing synced")
	assert.Equal(t, uint64(2), n.term)
	assert.Equal(t, nodes.ID(3), n.vote)
	sent := env.takeSent()
	require.Len(t, sent, 2)
	for i, s := range sent {
		assert.Equal(t, nodes.ID(i+2), s.to)
		assert.Equal(t, RequestVote{Term: 3, LastLogIndex: 2, LastLogTerm: 2, PreVote: true}, s.msg)
	}
	_, ok := env.timer(timerElection)
	assert.True(t, ok, "a pre-candidate re-arms its election timer")
}

func TestPreVoteTally(t *testing.T) {
	type reply struct {
		from nodes.ID
		msg  RequestVoteReply
	}
	tests := []struct {
		name string
		size int
		// replies come to server 1, a pre-candidate in term 2.
		replies  []reply
		wantRole nodes.Role
		wantTerm uint64
	}{
		{name: "majority granted starts the election", size: 3,
			replies:  []reply{{2, RequestVoteReply{Term: 3, Granted: true, PreVote: true}}},
			wantRole: nodes.RoleCandidate, wantTerm: 3},
		{name: "granted term is not adopted", size: 5,
			replies:  []reply{{2, RequestVoteReply{Term: 3, Granted: true, PreVote: true}}},
			wantRole: RolePreCandidate, wantTerm: 2},
		{name: "same voter twice is one pre-vote", size: 5,
			replies: []reply{
				{2, RequestVoteReply{Term: 3, Granted: true, PreVote: true}},
				{2, RequestVoteReply{Term: 3, Granted: true, PreVote: true}},
			},
			wantRole: RolePreCandidate, wantTerm: 2},
		{name: "two of five granted starts the election", size: 5,
			replies: []reply{
				{2, RequestVoteReply{Term: 3, Granted: true, PreVote: true}},
				{4, RequestVoteReply{Term: 3, Granted: true, PreVote: true}},
			},
			wantRole: nodes.RoleCandidate, wantTerm: 3},
		{name: "refusals do not", size: 3,
			replies: []reply{
				{2, RequestVoteReply{Term: 2, PreVote: true}},
				{3, RequestVoteReply{Term: 2, PreVote: true}},
			},
			wantRole: RolePreCandidate, wantTerm: 2},
		{name: "a grant for another term does not", size: 3,
			replies:  []reply{{2, RequestVoteReply{Term: 4, Granted: true, PreVote: true}}},
			wantRole: RolePreCandidate, wantTerm: 2},
		{name: "a real vote does not", size: 3,
			replies:  []reply{{2, RequestVoteReply{Term: 2, Granted: true}}},
			wantRole: RolePreCandidate, wantTerm: 2},
		{name: "no replies", size: 3, wantRole: RolePreCandidate, wantTerm: 2},
		{name: "refusal with a higher term makes a follower of it", size: 3,
			replies:  []reply{{2, RequestVoteReply{Term: 5, PreVote: true}}},
			wantRole: nodes.RoleFollower, wantTerm: 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t, 1, tt.size)
			seedDisk(env.disk, hardState{term: 2}, entries(1, 2))
			n := startNode(env, configWith(preVote))
			env.fire(n, timerElection)
			require.Equal(t, RolePreCandidate, n.role)
			env.takeSent()
			env.takeFacts()

			for _, r := range tt.replies {
				n.Receive(r.from, r.msg)
			}

			assert.Equal(t, tt.wantRole, n.role)
			assert.Equal(t, tt.wantTerm, n.term)
			assert.Equal(t, tt.wantTerm, durable(env.disk).hard.term, "durable term")
			votes := msgsOf[RequestVote](env.takeSent())
			if tt.wantRole == nodes.RoleCandidate {
				assert.Equal(t, nodes.ID(1), n.vote)
				assert.Equal(t, hardState{term: 3, vote: 1}, durable(env.disk).hard, "self-vote durable")
				require.Len(t, votes, tt.size-1)
				for _, v := range votes {
					assert.Equal(t, RequestVote{Term: 3, LastLogIndex: 2, LastLogTerm: 2}, v)
				}
			} else {
				assert.Empty(t, votes)
			}
		})
	}
}

func TestPreVoteAfterCandidateTimesOut(t *testing.T) {
	env := newEnv(t, 1, 3)
	n := startNode(env, configWith(preVote))
	env.fire(n, timerElection)
	n.Receive(2, RequestVoteReply{Term: 1, Granted: true, PreVote: true})
	require.Equal(t, nodes.RoleCandidate, n.role)
	require.Equal(t, uint64(1), n.term)
	env.takeSent()
	env.takeFacts()

	env.fire(n, timerElection) // a split vote

	assert.Equal(t, RolePreCandidate, n.role)
	assert.Equal(t, uint64(1), n.term, "the term does not rise again")
	assert.Equal(t, nodes.ID(1), n.vote, "the self-vote of term 1 stays")
	assert.Equal(t, []nodes.RoleChanged{{Role: RolePreCandidate, Epoch: 1}}, factsOf[nodes.RoleChanged](env.takeFacts()))
	assert.Equal(t, []RequestVote{{Term: 2, PreVote: true}, {Term: 2, PreVote: true}}, msgsOf[RequestVote](env.takeSent()))
}

func TestPreVoteVoter(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		// heard is whether the voter (server 1, term 2, voted for 3) heard
		// from leader 3 of its term just before the request; else its
		// contact window has closed.
		heard bool
		// req comes from server 2.
		req       RequestVote
		wantReply []RequestVoteReply
	}{
		{name: "grants a higher term", cfg: configWith(preVote),
			req:       RequestVote{Term: 3, LastLogIndex: 2, LastLogTerm: 2, PreVote: true},
			wantReply: []RequestVoteReply{{Term: 3, Granted: true, PreVote: true}}},
		{name: "grants a term far above", cfg: configWith(preVote),
			req:       RequestVote{Term: 9, LastLogIndex: 2, LastLogTerm: 2, PreVote: true},
			wantReply: []RequestVoteReply{{Term: 9, Granted: true, PreVote: true}}},
		{name: "refuses its own term", cfg: configWith(preVote),
			req:       RequestVote{Term: 2, LastLogIndex: 2, LastLogTerm: 2, PreVote: true},
			wantReply: []RequestVoteReply{{Term: 2, PreVote: true}}},
		{name: "refuses a lower term", cfg: configWith(preVote),
			req:       RequestVote{Term: 1, LastLogIndex: 2, LastLogTerm: 2, PreVote: true},
			wantReply: []RequestVoteReply{{Term: 2, PreVote: true}}},
		{name: "refuses a stale log", cfg: configWith(preVote),
			req:       RequestVote{Term: 3, LastLogIndex: 5, LastLogTerm: 1, PreVote: true},
			wantReply: []RequestVoteReply{{Term: 2, PreVote: true}}},
		{name: "refuses a shorter log", cfg: configWith(preVote),
			req:       RequestVote{Term: 3, LastLogIndex: 1, LastLogTerm: 2, PreVote: true},
			wantReply: []RequestVoteReply{{Term: 2, PreVote: true}}},
		{name: "refuses while it hears from the leader", cfg: configWith(preVote), heard: true,
			req:       RequestVote{Term: 3, LastLogIndex: 2, LastLogTerm: 2, PreVote: true},
			wantReply: []RequestVoteReply{{Term: 2, PreVote: true}}},
		{name: "under CheckQuorum ignores while it hears from the leader", cfg: configWith(preVote, checkQuorum), heard: true,
			req: RequestVote{Term: 3, LastLogIndex: 2, LastLogTerm: 2, PreVote: true}},
		{name: "under CheckQuorum grants once the window closed", cfg: configWith(preVote, checkQuorum),
			req:       RequestVote{Term: 3, LastLogIndex: 2, LastLogTerm: 2, PreVote: true},
			wantReply: []RequestVoteReply{{Term: 3, Granted: true, PreVote: true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t, 1, 3)
			seedDisk(env.disk, hardState{term: 2, vote: 3}, entries(1, 2))
			n := startNode(env, tt.cfg)
			env.fire(n, timerContact) // the window opened at Start closes
			if tt.heard {
				n.Receive(3, AppendEntries{Term: 2, PrevLogIndex: 2, PrevLogTerm: 2})
				require.True(t, n.contact.Armed())
			}
			env.takeSent()
			env.takeFacts()
			before := records(env.disk)

			n.Receive(2, tt.req)

			assert.Equal(t, tt.wantReply, msgsOf[RequestVoteReply](env.takeSent()))
			assert.Equal(t, uint64(2), n.term, "term unchanged")
			assert.Equal(t, nodes.ID(3), n.vote, "vote unchanged")
			assert.Equal(t, nodes.RoleFollower, n.role)
			assert.Empty(t, env.takeFacts(), "nothing changed")
			assert.Equal(t, before, records(env.disk), "nothing synced")
		})
	}
}

func TestPreVoteLeaderKeepsItsTerm(t *testing.T) {
	env := newEnv(t, 1, 3)
	n := startNode(env, configWith(preVote))
	electLeader(t, n, env)
	require.Equal(t, uint64(1), n.term)

	n.Receive(2, RequestVoteReply{Term: 5, Granted: true, PreVote: true}) // late, of an old pre-vote
	n.Receive(2, RequestVote{Term: 5, LastLogIndex: 9, LastLogTerm: 4, PreVote: true})

	assert.Equal(t, nodes.RoleLeader, n.role)
	assert.Equal(t, uint64(1), n.term)
	assert.Equal(t, []RequestVoteReply{{Term: 1, PreVote: true}}, msgsOf[RequestVoteReply](env.takeSent()),
		"a leader refuses pre-votes")
}

// TestPreVoteKeepsIsolatedServerFromDisrupting cuts a follower off for
// several election timeouts and reconnects it. With PreVote it never raises
// its term and the leader keeps its own; without it (the control) its term
// rises and its return deposes the leader.
func TestPreVoteKeepsIsolatedServerFromDisrupting(t *testing.T) {
	for _, pre := range []bool{true, false} {
		t.Run(map[bool]string{true: "PreVote", false: "control"}[pre], func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.PreVote = pre
			c := newCluster(t, 3, cfg, 5)
			c.runUntil(1000, "leader", func() bool { return c.leader() != 0 })
			leader := c.leader()
			term := c.nodes[leader-1].term
			c.call(put(4, 1, "x", "1"), 1000)
			isolated := nodes.ID(1 + int(leader)%3)
			cut := isolate(c, isolated)

			until := c.clock + 5*cfg.ElectionTimeoutMax
			c.runUntil(100000, "several election timeouts", func() bool { return c.clock >= until })
			require.Equal(t, leader, c.leader(), "the majority keeps its leader")
			if pre {
				assert.Equal(t, term, c.nodes[isolated-1].term, "an isolated pre-candidate keeps its term")
				assert.Equal(t, RolePreCandidate, c.nodes[isolated-1].role)
			} else {
				assert.Greater(t, c.nodes[isolated-1].term, term+2, "an isolated candidate raises its term")
			}

			clear(cut[isolated-1])
			for _, row := range cut {
				row[isolated-1] = false
			}
			until = c.clock + 5*cfg.ElectionTimeoutMax
			c.runUntil(100000, "several election timeouts", func() bool { return c.clock >= until })
			c.call(put(4, 2, "x", "2"), 10000)

			if pre {
				assert.Equal(t, leader, c.leader(), "the leader stays")
				for i, n := range c.nodes {
					assert.Equal(t, term, n.term, "server %d", i+1)
				}
			} else {
				assert.Greater(t, c.nodes[leader-1].term, term, "the leader was deposed")
				assert.Greater(t, c.nodes[c.leader()-1].term, term)
			}
			assert.Empty(t, c.checks.errs)
			assert.Empty(t, c.panics)
		})
	}
}

// isolate cuts server id off from the others on a network that otherwise
// loses nothing (it only reorders, within a millisecond), and returns the
// cut matrix to heal it with.
func isolate(c *cluster, id nodes.ID) [][]bool {
	c.faults = &faults{rng: rand.New(rand.NewPCG(1, 0)), latencyMax: time.Millisecond}
	for range c.nodes {
		c.faults.cut = append(c.faults.cut, make([]bool, len(c.nodes)))
	}
	for j := range c.nodes {
		if j != int(id)-1 {
			c.faults.cut[id-1][j], c.faults.cut[j][id-1] = true, true
		}
	}
	return c.faults.cut
}

// --- CheckQuorum ---------------------------------------------------------

func TestCheckQuorumLeaderStepsDown(t *testing.T) {
	tests := []struct {
		name string
		size int
		// repliers answer the leader's AppendEntries during each period
		// between two checks; one entry per check.
		repliers [][]nodes.ID
		wantLead bool
	}{
		{name: "no replies", size: 3, repliers: [][]nodes.ID{nil}},
		{name: "a majority replied", size: 3, repliers: [][]nodes.ID{{2}}, wantLead: true},
		{name: "a majority of five replied", size: 5, repliers: [][]nodes.ID{{2, 5}}, wantLead: true},
		{name: "a minority of five replied", size: 5, repliers: [][]nodes.ID{{2}}},
		{name: "replies of an earlier period do not count", size: 3, repliers: [][]nodes.ID{{2}, nil}},
		{name: "a majority in every period", size: 3, repliers: [][]nodes.ID{{2}, {3}, {2, 3}}, wantLead: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t, 1, tt.size)
			n := startNode(env, configWith(checkQuorum))
			sent := electLeader(t, n, env)
			term := n.term
			for _, ids := range tt.repliers {
				ack(n, sent, ids...)
				env.takeSent()
				env.takeFacts()
				env.fire(n, timerCheckQuorum)
				sent = nil
				if n.role == nodes.RoleLeader {
					env.fire(n, timerHeartbeat)
					sent = env.takeSent()
				}
			}

			assert.Equal(t, term, n.term, "stepping down keeps the term")
			if tt.wantLead {
				assert.Equal(t, nodes.RoleLeader, n.role)
				_, ok := env.timer(timerCheckQuorum)
				assert.True(t, ok, "the next check is armed")
				return
			}
			assert.Equal(t, nodes.RoleFollower, n.role)
			assert.Equal(t, []nodes.RoleChanged{{Role: nodes.RoleFollower, Epoch: term}}, factsOf[nodes.RoleChanged](env.takeFacts()))
			assert.Equal(t, nodes.ID(0), n.leader)
			_, ok := env.timer(timerElection)
			assert.True(t, ok, "it stands for election again in time")
			n.Receive(7, kv.Request{Cmd: put(7, 1, "x", "1")})
			assert.Equal(t, []kv.Reply{{Client: 7, Seq: 1, Err: kv.ErrNotLeader}}, msgsOf[kv.Reply](env.takeSent()))
		})
	}
}

func TestCheckQuorumVoteRefusal(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		// heard: the voter (server 1, term 2) heard from leader 3 just
		// before; restarted: it has just started, nothing else;
		// otherwise its window has closed.
		heard, restarted bool
		// before, if set, and then req come from server 2.
		before    nodes.Message
		req       RequestVote
		wantReply []RequestVoteReply
		wantTerm  uint64
	}{
		{name: "ignores a higher term while it hears from the leader", cfg: configWith(checkQuorum), heard: true,
			req: RequestVote{Term: 3, LastLogIndex: 2, LastLogTerm: 2}, wantTerm: 2},
		{name: "ignores a pre-vote while it hears from the leader", cfg: configWith(checkQuorum, preVote), heard: true,
			req: RequestVote{Term: 3, LastLogIndex: 2, LastLogTerm: 2, PreVote: true}, wantTerm: 2},
		{name: "grants a transfer while it hears from the leader", cfg: configWith(checkQuorum), heard: true,
			req:       RequestVote{Term: 3, LastLogIndex: 2, LastLogTerm: 2, Transfer: true},
			wantReply: []RequestVoteReply{{Term: 3, Granted: true}}, wantTerm: 3},
		{name: "a restarted server starts inside the window", cfg: configWith(checkQuorum), restarted: true,
			req: RequestVote{Term: 3, LastLogIndex: 2, LastLogTerm: 2}, wantTerm: 2},
		{name: "grants once the window closed", cfg: configWith(checkQuorum),
			req:       RequestVote{Term: 3, LastLogIndex: 2, LastLogTerm: 2},
			wantReply: []RequestVoteReply{{Term: 3, Granted: true}}, wantTerm: 3},
		{name: "without CheckQuorum grants while it hears from the leader", cfg: configWith(preVote), heard: true,
			req:       RequestVote{Term: 3, LastLogIndex: 2, LastLogTerm: 2},
			wantReply: []RequestVoteReply{{Term: 3, Granted: true}}, wantTerm: 3},
		{name: "refuses a vote in a term learned from a reply while it hears from the leader",
			cfg: configWith(checkQuorum, preVote), heard: true,
			before: RequestVoteReply{Term: 3, PreVote: true}, // a late refusal of an old pre-vote
			req:    RequestVote{Term: 3, LastLogIndex: 2, LastLogTerm: 2}, wantReply: []RequestVoteReply{{Term: 3}},
			wantTerm: 3},
		{name: "refuses a vote in a term learned from a stale append reply while it hears from the leader",
			cfg: configWith(checkQuorum), heard: true,
			before: AppendEntriesReply{Term: 3}, // to an AppendEntries of its own old term as leader
			req:    RequestVote{Term: 3, LastLogIndex: 2, LastLogTerm: 2}, wantReply: []RequestVoteReply{{Term: 3}},
			wantTerm: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t, 1, 3)
			seedDisk(env.disk, hardState{term: 2, vote: 3}, entries(1, 2))
			n := startNode(env, tt.cfg)
			if !tt.restarted {
				env.fire(n, timerContact)
			}
			if tt.heard {
				n.Receive(3, AppendEntries{Term: 2, PrevLogIndex: 2, PrevLogTerm: 2})
			}
			if tt.before != nil {
				n.Receive(2, tt.before)
			}
			env.takeSent()
			env.takeFacts()

			n.Receive(2, tt.req)

			assert.Equal(t, tt.wantReply, msgsOf[RequestVoteReply](env.takeSent()))
			assert.Equal(t, tt.wantTerm, n.term)
			assert.Equal(t, tt.wantTerm, durable(env.disk).hard.term)
			if len(tt.wantReply) > 0 && tt.wantReply[0].Granted {
				assert.Equal(t, nodes.ID(2), n.vote)
			} else {
				assert.NotEqual(t, nodes.ID(2), n.vote)
			}
		})
	}
}

func TestCheckQuorumLeaderIgnoresHigherTermVote(t *testing.T) {
	env := newEnv(t, 1, 3)
	n := startNode(env, configWith(checkQuorum))
	electLeader(t, n, env)

	n.Receive(2, RequestVote{Term: 5, LastLogIndex: 9, LastLogTerm: 4})

	assert.Equal(t, nodes.RoleLeader, n.role)
	assert.Equal(t, uint64(1), n.term)
	assert.Empty(t, env.takeSent())
}

// --- Leadership transfer -------------------------------------------------

// transferLeader returns a leader of term 1 among 3 servers whose no-op
// servers 2 and 3 acknowledged (when up to date) or not.
func transferLeader(t *testing.T, cfg Config, upToDate ...nodes.ID) (*Node, *fakeEnv) {
	env := newEnv(t, 1, 3)
	n := startNode(env, cfg)
	ack(n, electLeader(t, n, env), upToDate...)
	env.takeSent()
	env.takeFacts()
	return n, env
}

func TestTransferToUpToDateFollower(t *testing.T) {
	n, env := transferLeader(t, DefaultConfig(), 2, 3)

	n.Receive(99, nodes.TransferLeadership{To: 2})

	sent := env.takeSent()
	require.Len(t, sent, 1)
	assert.Equal(t, sentMsg{from: 1, to: 2, msg: TimeoutNow{Term: 1}}, sent[0])
	_, ok := env.timer(timerTransfer)
	assert.True(t, ok)
	assert.Equal(t, nodes.RoleLeader, n.role, "the leader leads until it hears of the new term")

	n.Receive(99, nodes.TransferLeadership{To: 2})
	n.Receive(2, AppendEntriesReply{Term: 1, Success: true, Index: 1})
	assert.Empty(t, env.takeSent(), "a repeated request or ack does not resend TimeoutNow")

	env.fire(n, timerTransfer) // server 2 never stood
	n.Receive(99, nodes.TransferLeadership{To: 3})
	assert.Equal(t, []sentMsg{{from: 1, to: 3, msg: TimeoutNow{Term: 1}}}, env.takeSent(), "a new attempt")
}

func TestTransferToLaggingFollower(t *testing.T) {
	n, env := transferLeader(t, DefaultConfig(), 3)
	n.Receive(7, kv.Request{Cmd: put(7, 1, "x", "1")}) // index 2
	env.takeSent()

	n.Receive(99, nodes.TransferLeadership{To: 2})

	sent := env.takeSent()
	require.Len(t, sent, 1, "entries first")
	require.Equal(t, nodes.ID(2), sent[0].to)
	app := sent[0].msg.(AppendEntries)
	assert.Equal(t, uint64(0), app.PrevLogIndex)
	assert.Len(t, app.Entries, 2)

	n.Receive(2, AppendEntriesReply{Term: 1, Success: true, Index: 1})
	assert.Empty(t, msgsOf[TimeoutNow](env.takeSent()), "not before it holds the last index")
	n.Receive(2, AppendEntriesReply{Term: 1, Success: true, Index: 2})
	assert.Equal(t, []TimeoutNow{{Term: 1}}, msgsOf[TimeoutNow](env.takeSent()))
	n.Receive(2, AppendEntriesReply{Term: 1, Success: true, Index: 2})
	assert.Empty(t, msgsOf[TimeoutNow](env.takeSent()), "once per attempt")
}

func TestTransferPausesRequestsUntilItExpires(t *testing.T) {
	n, env := transferLeader(t, configWith(readIndex), 3)
	n.Receive(99, nodes.TransferLeadership{To: 2})
	env.takeSent()
	last := n.log.lastIndex()

	n.Receive(7, kv.Request{Cmd: put(7, 1, "x", "1")})
	n.Receive(7, kv.Request{Cmd: get(7, 2, "x")})
	assert.Equal(t, []kv.Reply{{Client: 7, Seq: 1, Err: kv.ErrNotLeader}, {Client: 7, Seq: 2, Err: kv.ErrNotLeader}},
		msgsOf[kv.Reply](env.takeSent()), "no leader hint while handing over")
	assert.Equal(t, last, n.log.lastIndex(), "nothing appended")

	env.fire(n, timerTransfer)
	n.Receive(2, AppendEntriesReply{Term: 1, Success: true, Index: last})
	assert.Empty(t, msgsOf[TimeoutNow](env.takeSent()), "the attempt is over")
	n.Receive(7, kv.Request{Cmd: put(7, 1, "x", "1")})
	assert.Equal(t, last+1, n.log.lastIndex(), "requests are served again")
	assert.Empty(t, msgsOf[kv.Reply](env.takeSent()))
}

func TestTransferIgnored(t *testing.T) {
	tests := []struct {
		name   string
		leader bool
		to     nodes.ID
	}{
		{name: "by a follower", to: 2},
		{name: "to itself", leader: true, to: 1},
		{name: "to a stranger", leader: true, to: 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t, 1, 3)
			n := startNode(env, DefaultConfig())
			if tt.leader {
				ack(n, electLeader(t, n, env), 2, 3)
				env.takeSent()
			}

			n.Receive(99, nodes.TransferLeadership{To: tt.to})

			assert.Empty(t, env.takeSent())
			_, ok := env.timer(timerTransfer)
			assert.False(t, ok)
			assert.Equal(t, nodes.ID(0), n.transferee)
		})
	}
}

func TestTimeoutNowCampaignsAtOnce(t *testing.T) {
	env := newEnv(t, 1, 3)
	seedDisk(env.disk, hardState{term: 2}, entries(1, 2))
	n := startNode(env, configWith(preVote, checkQuorum))
	n.Receive(3, AppendEntries{Term: 2, PrevLogIndex: 2, PrevLogTerm: 2})
	env.takeSent()

	n.Receive(3, TimeoutNow{Term: 2})

	assert.Equal(t, nodes.RoleCandidate, n.role, "no pre-vote")
	assert.Equal(t, uint64(3), n.term)
	assert.Equal(t, hardState{term: 3, vote: 1}, durable(env.disk).hard)
	assert.Equal(t, []RequestVote{
		{Term: 3, LastLogIndex: 2, LastLogTerm: 2, Transfer: true},
		{Term: 3, LastLogIndex: 2, LastLogTerm: 2, Transfer: true},
	}, msgsOf[RequestVote](env.takeSent()))
}

func TestTransferMovesLeadership(t *testing.T) {
	cfg := configWith(preVote, leaseReads)
	c := newCluster(t, 5, cfg, 3)
	c.runUntil(1000, "leader", func() bool { return c.leader() != 0 })
	old := c.leader()
	term := c.nodes[old-1].term
	c.call(put(9, 1, "x", "1"), 1000)
	to := nodes.ID(1 + int(old)%5)

	c.send(99, old, nodes.TransferLeadership{To: to})
	c.runUntil(1000, "new leader", func() bool { return c.leader() == to })

	assert.Equal(t, term+1, c.nodes[to-1].term, "one election")
	assert.Equal(t, nodes.RoleFollower, c.nodes[old-1].role)
	reply := c.call(get(9, 2, "x"), 1000)
	assert.Equal(t, kv.Reply{Client: 9, Seq: 2, Result: kv.Result{Value: "1"}, Leader: to}, reply)
	assert.Empty(t, c.checks.errs)
	assert.Empty(t, c.panics)
}

// --- ReadIndex -----------------------------------------------------------

func TestReadIndexWaitsForNoopAndRound(t *testing.T) {
	env := newEnv(t, 1, 3)
	// The predecessor committed index 1; this server does not know it.
	seedDisk(env.disk, hardState{term: 1}, entries(1))
	n := startNode(env, configWith(readIndex))
	noop := electLeader(t, n, env)
	require.Equal(t, uint64(0), n.commit)

	n.Receive(7, kv.Request{Cmd: get(7, 1, "k1")})
	assert.Empty(t, env.takeSent(), "no round before the no-op commits")
	assert.Len(t, n.reads.pending, 1)

	ack(n, noop, 2) // the no-op commits and a round starts
	require.Equal(t, uint64(2), n.commit)
	round := env.takeSent()
	assert.Empty(t, msgsOf[kv.Reply](round))
	require.Len(t, msgsOf[AppendEntries](round), 2)
	for _, m := range msgsOf[AppendEntries](round) {
		assert.Equal(t, uint64(1), m.ReadRound)
	}

	ack(n, round, 3)
	assert.Equal(t, []kv.Reply{{Client: 7, Seq: 1, Result: kv.Result{Value: "v1@t1"}, Leader: 1}},
		msgsOf[kv.Reply](env.takeSent()))
	assert.Empty(t, n.reads.pending)
	assert.Equal(t, uint64(2), n.log.lastIndex(), "a get appends no entry")
}

// TestReadIndexNeedsMajorityEchoOfRound: a get that comes while a round is
// in flight waits for the next round, which starts once the first is
// confirmed; a round counts as confirmed only when a majority echoed it or a
// later one, and a late echo of an older round takes nothing back.
func TestReadIndexNeedsMajorityEchoOfRound(t *testing.T) {
	env := newEnv(t, 1, 5)
	n := startNode(env, configWith(readIndex))
	ack(n, electLeader(t, n, env), 2, 3, 4, 5)
	require.Equal(t, uint64(1), n.commit)
	env.fire(n, timerHeartbeat) // round 1
	require.Equal(t, uint64(1), n.reads.round)
	env.takeSent()
	env.takeFacts()

	n.Receive(7, kv.Request{Cmd: get(7, 1, "x")})
	assert.Empty(t, env.takeSent(), "round 1 is in flight")

	steps := []struct {
		from      nodes.ID
		round     uint64
		wantRound uint64 // the latest round started
		answer    bool
	}{
		{from: 2, round: 1, wantRound: 1},
		{from: 3, round: 1, wantRound: 2}, // round 1 confirmed; it began before the get
		{from: 2, round: 2, wantRound: 2},
		{from: 2, round: 1, wantRound: 2}, // late
		{from: 4, round: 1, wantRound: 2}, // older
		{from: 5, round: 2, answer: true, wantRound: 2},
	}
	for _, s := range steps {
		n.Receive(s.from, AppendEntriesReply{Term: 1, Success: true, Index: 1, ReadRound: s.round})
		sent := env.takeSent()
		assert.Equal(t, s.wantRound, n.reads.round, "after %v echoed round %d", s.from, s.round)
		if s.answer {
			assert.Equal(t, []kv.Reply{{Client: 7, Seq: 1, Leader: 1}}, msgsOf[kv.Reply](sent))
		} else {
			assert.Empty(t, msgsOf[kv.Reply](sent), "after %v echoed round %d", s.from, s.round)
		}
	}
	assert.Empty(t, factsOf[LogFact](env.takeFacts()), "a get appends no entry")
	assert.Equal(t, uint64(1), n.log.lastIndex())
}

// TestReadIndexBeforeNoop: the new leader of term 2 does not know that its
// predecessor committed index 1. Correct ReadIndex does not take a read
// index before its no-op commits; Bugs.ReadIndexBeforeNoop answers from
// commit index 0 as soon as a round is confirmed, missing the committed put.
func TestReadIndexBeforeNoop(t *testing.T) {
	for _, bug := range []bool{false, true} {
		t.Run(map[bool]string{false: "correct", true: "ReadIndexBeforeNoop"}[bug], func(t *testing.T) {
			cfg := configWith(readIndex)
			cfg.Bugs.ReadIndexBeforeNoop = bug
			env := newEnv(t, 1, 3)
			seedDisk(env.disk, hardState{term: 1}, entries(1))
			n := startNode(env, cfg)
			electLeader(t, n, env)

			n.Receive(7, kv.Request{Cmd: get(7, 1, "k1")})
			// Server 2 echoes every round but has lost its log (it cannot
			// take the no-op yet).
			for _, m := range msgsOf[AppendEntries](env.takeSent()) {
				n.Receive(2, AppendEntriesReply{Term: 2, Index: m.PrevLogIndex, ReadRound: m.ReadRound})
			}
			require.Equal(t, uint64(0), n.commit)
			replies := msgsOf[kv.Reply](env.takeSent())
			if bug {
				assert.Equal(t, []kv.Reply{{Client: 7, Seq: 1, Leader: 1}}, replies, "a stale read of k1")
				return
			}
			assert.Empty(t, replies)

			ack(n, []sentMsg{{to: 3, msg: AppendEntries{Term: 2, PrevLogIndex: 1, PrevLogTerm: 1,
				Entries: []Entry{{Term: 2, Cmd: kv.Noop}}}}}, 3)
			require.Equal(t, uint64(2), n.commit)
			ack(n, env.takeSent(), 3)
			assert.Equal(t, []kv.Reply{{Client: 7, Seq: 1, Result: kv.Result{Value: "v1@t1"}, Leader: 1}},
				msgsOf[kv.Reply](env.takeSent()))
		})
	}
}

func TestReadIndexStepDownDropsReads(t *testing.T) {
	env := newEnv(t, 1, 3)
	n := startNode(env, configWith(readIndex))
	ack(n, electLeader(t, n, env), 2, 3)
	n.Receive(7, kv.Request{Cmd: get(7, 1, "x")})
	round := env.takeSent()
	require.Len(t, n.reads.pending, 1)

	n.Receive(2, AppendEntries{Term: 2, PrevLogIndex: 1, PrevLogTerm: 1})
	require.Equal(t, nodes.RoleFollower, n.role)
	assert.Empty(t, n.reads.pending)
	ack(n, round, 2, 3) // late echoes, now stale
	assert.Empty(t, msgsOf[kv.Reply](env.takeSent()))
}

// --- Leases --------------------------------------------------------------

// leaseLeader returns a leader of term 1 among 3 servers, under LeaseReads,
// whose no-op committed and whose first heartbeat round server 2 echoed.
func leaseLeader(t *testing.T) (*Node, *fakeEnv) {
	env := newEnv(t, 1, 3)
	n := startNode(env, configWith(leaseReads))
	ack(n, electLeader(t, n, env), 2)
	require.Equal(t, uint64(1), n.commit)
	env.takeSent()
	env.fire(n, timerHeartbeat)
	ack(n, env.takeSent(), 2)
	require.Equal(t, uint64(1), n.reads.confirmed)
	env.takeSent()
	return n, env
}

func TestLeaseReadAnsweredAtOnce(t *testing.T) {
	n, env := leaseLeader(t)
	n.Receive(7, kv.Request{Cmd: put(7, 1, "x", "1")})
	ack(n, env.takeSent(), 2)
	env.takeSent()

	n.Receive(7, kv.Request{Cmd: get(7, 2, "x")})

	sent := env.takeSent()
	assert.Equal(t, []sentMsg{{from: 1, to: 7, msg: kv.Reply{Client: 7, Seq: 2, Result: kv.Result{Value: "1"}, Leader: 1}}},
		sent, "the reply and nothing else")
}

func TestLeaseExpiresToRound(t *testing.T) {
	n, env := leaseLeader(t)
	lease, ok := env.timer(timerLease)
	require.True(t, ok)
	assert.Equal(t, configWith(leaseReads).leaseDuration(), lease.at-*env.clock,
		"the lease runs from the round's start (the heartbeat, just now)")

	env.fire(n, timerLease)
	n.Receive(7, kv.Request{Cmd: get(7, 1, "x")})

	sent := env.takeSent()
	assert.Empty(t, msgsOf[kv.Reply](sent))
	rounds := msgsOf[AppendEntries](sent)
	require.Len(t, rounds, 2, "a round instead")
	assert.Equal(t, uint64(2), rounds[0].ReadRound)
	ack(n, sent, 3)
	assert.Equal(t, []kv.Reply{{Client: 7, Seq: 1, Leader: 1}}, msgsOf[kv.Reply](env.takeSent()))
}

func TestLeaseRevokedByTimeoutNow(t *testing.T) {
	n, env := leaseLeader(t)
	n.Receive(99, nodes.TransferLeadership{To: 2})
	require.Equal(t, []TimeoutNow{{Term: 1}}, msgsOf[TimeoutNow](env.takeSent()))
	env.fire(n, timerTransfer) // the transferee never stood
	require.Equal(t, nodes.RoleLeader, n.role)

	// A new round is confirmed, within its lease, but the lease is gone
	// for the term: a get still needs a round of its own.
	env.fire(n, timerHeartbeat)
	ack(n, env.takeSent(), 2, 3)
	require.Equal(t, n.reads.round, n.reads.confirmed)
	n.Receive(7, kv.Request{Cmd: get(7, 1, "x")})
	sent := env.takeSent()
	assert.Empty(t, msgsOf[kv.Reply](sent))
	assert.Len(t, msgsOf[AppendEntries](sent), 2)
}

// TestLeaseHoldsAgainstTermLearnedFromReply scripts how a lease could be
// broken. S2 acknowledges S1's round, giving S1 a lease, and then learns
// term 2 from S3's late refusal of an old pre-vote of its own. S3's
// RequestVote for term 2, reordered behind that refusal, is then of S2's own
// term, which the higher-term rule of CheckQuorum does not cover: S2 must
// still refuse it while it hears from S1, or S3 wins term 2 with S2 and
// commits a put that S1 misses in a read it answers from its lease.
func TestLeaseHoldsAgainstTermLearnedFromReply(t *testing.T) {
	s := newStory(t, configWith(preVote, leaseReads), durableState{}, durableState{}, durableState{})
	s1, s2, s3 := s.nodes[1], s.nodes[2], s.nodes[3]
	closeWindow := func(id nodes.ID) { s.envs[id].fire(s.nodes[id], timerContact) }
	for id := range nodes.ID(3) {
		closeWindow(id + 1)
	}
	// S1 leads term 1 and commits x=1.
	s.timeout(1)
	s.exchange(1, 2)
	s.exchange(1, 3)
	require.Equal(t, nodes.RoleLeader, s1.role)
	s1.Receive(7, kv.Request{Cmd: put(7, 1, "x", "1")})
	s.collect(1)
	s.exchange(1, 2)
	s.exchange(1, 3)
	require.Equal(t, uint64(2), s1.commit)

	// S1's heartbeats are lost for a while. S3 gets S2's pre-vote and
	// stands in term 2; its RequestVote to S2 is delayed.
	closeWindow(2)
	closeWindow(3)
	s.timeout(3)
	s.deliver(3, 2)
	s.deliver(2, 3)
	require.Equal(t, nodes.RoleCandidate, s3.role)
	require.Equal(t, uint64(2), s3.term)
	// S2 runs a pre-vote of its own, then hears from S1 again and
	// echoes its round: S1 holds a lease.
	s.timeout(2)
	s.envs[1].fire(s1, timerHeartbeat)
	s.collect(1)
	s.exchange(1, 2)
	require.True(t, s1.leaseHolds())
	// S3 refuses S2's pre-vote with its term 2; the refusal overtakes S3's
	// RequestVote.
	s.deliver(2, 3)
	s.deliverFirst(3, 2, func(m nodes.Message) bool { _, ok := m.(RequestVoteReply); return ok })
	require.Equal(t, uint64(2), s2.term, "a refusal's term is adopted")
	s.deliver(3, 2)
	s.exchange(2, 3)

	assert.NotEqual(t, nodes.RoleLeader, s3.role, "S3 won term 2 while S1's lease holds")

	// A put at S3 completes before a get at S1 begins.
	s3.Receive(8, kv.Request{Cmd: put(8, 1, "x", "2")})
	s.collect(3)
	s.exchange(3, 2)
	s1.Receive(9, kv.Request{Cmd: get(9, 1, "x")})
	s.collect(1)
	putX, getX := s.clientReply(8), s.clientReply(9)
	if putX.Err == "" {
		assert.Equal(t, "2", getX.Result.Value, "S1 read x from its lease after x=2 was acknowledged")
	}
}

// clientReply returns the last reply sent to client, which must exist.
func (s *story) clientReply(client nodes.ID) kv.Reply {
	s.t.Helper()
	for _, m := range slices.Backward(s.pending) {
		if r, ok := m.msg.(kv.Reply); ok && m.to == client {
			return r
		}
	}
	s.t.Fatalf("no reply to client %v", client)
	return kv.Reply{}
}

// deliverFirst delivers the oldest message from one server to another that
// match accepts, overtaking the older ones (the network reorders).
func (s *story) deliverFirst(from, to nodes.ID, match func(nodes.Message) bool) {
	s.t.Helper()
	for k, m := range s.pending {
		if m.from == from && m.to == to && match(m.msg) {
			s.pending = slices.Delete(s.pending, k, k+1)
			s.nodes[to].Receive(from, m.msg)
			s.collect(to)
			return
		}
	}
	s.t.Fatalf("no matching message from %v to %v", from, to)
}

// --- Determinism ---------------------------------------------------------

func TestChaosWithAllFeatures(t *testing.T) {
	cfg := configWith(preVote, leaseReads)
	cfg.SnapshotEvery = 4
	require.NoError(t, cfg.Validate())
	for seed := uint64(1); seed <= 12; seed++ {
		c, seq := chaosWith(t, seed, cfg)
		c.heal()
		client := nodes.ID(len(c.nodes) + 1)
		c.call(kv.Command{Client: client, Seq: seq, Op: kv.OpAppend, Key: "k", Value: "last"}, 100000)
		reply := c.call(get(client, seq+1, "k"), 100000)
		assert.Contains(t, reply.Result.Value, "last", "seed %d: the get sees the append before it", seed)
		require.Empty(t, c.panics, "seed %d", seed)
		require.Empty(t, c.checks.errs, "seed %d", seed)
		require.NotZero(t, c.checks.maxCommit, "seed %d", seed)
	}
	a, _ := chaosWith(t, 3, cfg)
	b, _ := chaosWith(t, 3, cfg)
	assert.Equal(t, a.fingerprint, b.fingerprint)
	assert.NotZero(t, a.delivered["raft.prevote"], "pre-votes ran")
}

// chaosReads runs a cluster under chaosWith's faults while one client sends
// appends of distinct values to key k and another sends gets of k, both to
// random servers, and returns how many gets were answered and the first get
// that missed an append acknowledged before the get was sent (a stale read,
// which linearizability forbids), or "".
func chaosReads(t testing.TB, seed uint64, cfg Config) (answered int, stale string) {
	cfg.MaxEntriesPerAppend = 1 + int(seed%4)
	size := 3 + 2*int(seed%2)
	c := newCluster(t, size, cfg, seed)
	c.faults = &faults{rng: rand.New(rand.NewPCG(seed, 0)), latencyMax: time.Duration(1+seed%60) * time.Millisecond,
		drop: 0.15, duplicate: 0.1, crash: 0.05, restart: 0.3, partition: 0.1, healing: 0.05}
	for range size {
		c.faults.cut = append(c.faults.cut, make([]bool, size))
	}
	writer, reader := nodes.ID(size+1), nodes.ID(size+2)
	var acked []uint64          // appends acknowledged so far
	ackedAt := map[uint64]int{} // get seq -> len(acked) when it was sent
	seen := 0                   // replies examined
	for step := 0; step < 5000; step++ {
		if step%20 == 0 {
			seq := uint64(step/20 + 1)
			to := nodes.ID(c.faults.rng.IntN(size) + 1)
			c.send(writer, to, kv.Request{Cmd: kv.Command{Client: writer, Seq: seq, Op: kv.OpAppend, Key: "k", Value: fmt.Sprintf("<%d>", seq)}})
			ackedAt[seq] = len(acked)
			to = nodes.ID(c.faults.rng.IntN(size) + 1)
			c.send(reader, to, kv.Request{Cmd: get(reader, seq, "k")})
		}
		if !c.step() {
			break
		}
		for ; seen < len(c.replies); seen++ {
			r := c.replies[seen]
			switch {
			case r.Err != "":
			case r.Client == writer:
				acked = append(acked, r.Seq)
			case r.Client == reader:
				answered++
				for _, w := range acked[:ackedAt[r.Seq]] {
					if want := fmt.Sprintf("<%d>", w); !strings.Contains(r.Result.Value, want) && stale == "" {
						stale = fmt.Sprintf("get #%d returned %q without %s, acknowledged before it was sent", r.Seq, r.Result.Value, want)
					}
				}
			}
		}
	}
	require.Empty(t, c.checks.errs, "seed %d", seed)
	return answered, stale
}

// TestChaosReadsAreLinearizable checks ReadIndex and lease reads under
// faults: no get misses an append acknowledged before it was sent. The
// check has teeth: Bugs.ReadLocally fails it.
func TestChaosReadsAreLinearizable(t *testing.T) {
	tests := []struct {
		name      string
		cfg       Config
		wantStale bool
	}{
		{"ReadIndex", configWith(readIndex), false},
		{"leases", configWith(preVote, leaseReads), false},
		{"leases and snapshots", func() Config { c := configWith(preVote, leaseReads); c.SnapshotEvery = 4; return c }(), false},
		{"ReadLocally", func() Config { c := configWith(preVote, checkQuorum); c.Bugs.ReadLocally = true; return c }(), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			answered, stale := 0, ""
			for seed := uint64(1); seed <= 30 && (stale == "" || !tt.wantStale); seed++ {
				n, s := chaosReads(t, seed, tt.cfg)
				answered += n
				if s != "" && stale == "" {
					stale = fmt.Sprintf("seed %d: %s", seed, s)
				}
			}
			assert.NotZero(t, answered)
			if tt.wantStale {
				assert.NotEmpty(t, stale, "no seed of 30 exposed a stale read")
			} else {
				assert.Empty(t, stale)
			}
			t.Logf("%d gets answered; %s", answered, stale)
		})
	}
}
