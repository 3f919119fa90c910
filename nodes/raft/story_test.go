package raft

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/consim/consim/nodes"
)

// story drives a few servers by hand: each message waits in the network
// until the script delivers or drops it.
type story struct {
	t       *testing.T
	envs    map[nodes.ID]*fakeEnv
	nodes   map[nodes.ID]*Node
	pending []sentMsg
	checks  *invariants
}

// newStory starts servers 1..len(states), server i from states[i-1].
func newStory(t *testing.T, cfg Config, states ...durableState) *story {
	s := &story{t: t, envs: map[nodes.ID]*fakeEnv{}, nodes: map[nodes.ID]*Node{}, checks: newInvariants()}
	for i, st := range states {
		id := nodes.ID(i + 1)
		env := newEnv(t, id, len(states))
		seedDisk(env.disk, st.hard, st.log.from(0))
		s.envs[id] = env
		s.nodes[id] = New(cfg)
		s.nodes[id].Start(env)
		s.collect(id)
	}
	return s
}

func (s *story) collect(id nodes.ID) {
	env := s.envs[id]
	s.pending = append(s.pending, env.takeSent()...)
	for _, f := range env.takeFacts() {
		s.checks.observe(id, f)
	}
}

// timeout fires server id's election timer.
func (s *story) timeout(id nodes.ID) {
	s.envs[id].fire(s.nodes[id], timerElection)
	s.collect(id)
}

// deliver delivers the oldest message from one server to another.
func (s *story) deliver(from, to nodes.ID) {
	s.t.Helper()
	require.True(s.t, s.next(from, to), "no message from %v to %v", from, to)
}

// exchange delivers the messages between a and b, both ways, until none is
// left.
func (s *story) exchange(a, b nodes.ID) {
	for s.next(a, b) || s.next(b, a) {
	}
}

// next delivers the oldest message from one server to another, if any.
func (s *story) next(from, to nodes.ID) bool {
	for k, m := range s.pending {
		if m.from == from && m.to == to {
			s.pending = append(s.pending[:k], s.pending[k+1:]...)
			s.nodes[to].Receive(from, m.msg)
			s.collect(to)
			return true
		}
	}
	return false
}

// crash drops everything server id sent and stops driving it.
func (s *story) crash(id nodes.ID) {
	var kept []sentMsg
	for _, m := range s.pending {
		if m.from != id {
			kept = append(kept, m)
		}
	}
	s.pending = kept
}

func logOf(terms ...uint64) raftLog { return raftLog{entries: entries(terms...)} }

// TestFigure8 scripts Figure 8 of the paper. S1, leader of term 4, gets its
// term-2 entry at index 2 onto a majority (S1, S2, S3) before its own no-op
// reaches one, and crashes. S5, which holds a term-3 entry at index 2, then
// wins term 5 with the votes of S3 and S4 and overwrites index 2. Correct
// Raft never considered index 2 committed; CommitPriorTermByCount did, so a
// committed entry is lost.
func TestFigure8(t *testing.T) {
	for _, bug := range []bool{false, true} {
		t.Run(map[bool]string{false: "correct", true: "CommitPriorTermByCount"}[bug], func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.MaxEntriesPerAppend = 1
			cfg.Bugs.CommitPriorTermByCount = bug
			s := newStory(t, cfg,
				durableState{hard: hardState{term: 3}, log: logOf(1, 2)},
				durableState{hard: hardState{term: 3}, log: logOf(1, 2)},
				durableState{hard: hardState{term: 3}, log: logOf(1)},
				durableState{hard: hardState{term: 3}, log: logOf(1)},
				durableState{hard: hardState{term: 4}, log: logOf(1, 3)},
			)
			s1, s5 := s.nodes[1], s.nodes[5]

			s.timeout(1)
			s.deliver(1, 2) // S2 votes
			s.deliver(2, 1)
			s.deliver(1, 3) // S3 votes
			s.deliver(3, 1)
			s.exchange(1, 2) // S2 takes the no-op
			s.deliver(1, 3)  // S3 rejects the no-op: its log is too short
			s.deliver(3, 1)
			s.deliver(1, 3) // S3 takes index 2 only
			s.deliver(3, 1)
			require.Equal(t, nodes.RoleLeader, s1.role)
			require.Equal(t, uint64(4), s1.term)
			require.Equal(t, []uint64{3, 3, 2, 0, 0}, []uint64{s1.progress[0].match, s1.progress[1].match,
				s1.progress[2].match, s1.progress[3].match, s1.progress[4].match})
			if bug {
				assert.Equal(t, uint64(2), s1.commit, "committed by counting replicas")
			} else {
				assert.Equal(t, uint64(0), s1.commit, "§5.4.2: not committed by counting replicas")
			}
			s.crash(1)

			s.timeout(5)
			s.exchange(5, 3) // S3 votes
			s.exchange(5, 4) // S4 votes, S5 leads and S4 follows
			s.exchange(5, 3) // S3 follows
			require.Equal(t, nodes.RoleLeader, s5.role)
			require.Equal(t, uint64(5), s5.term)
			assert.Equal(t, uint64(3), s5.commit)
			assert.Equal(t, s5.log.from(0), s.nodes[3].log.from(0), "S3 lost index 2 of term 2")

			if bug {
				assert.Contains(t, s.checks.errs,
					`leader completeness: n5 leads term 5 without committed entry 2 t2:c9#2 put(k2,"v2@t2")`)
			} else {
				assert.Empty(t, s.checks.errs)
			}
		})
	}
}
