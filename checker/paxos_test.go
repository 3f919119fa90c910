package checker

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/consim/consim/nodes"
	"github.com/consim/consim/nodes/kv"
	"github.com/consim/consim/nodes/paxos"
)

func bal(round uint64, node nodes.ID) paxos.Ballot { return paxos.Ballot{Round: round, Node: node} }

// cmd is a client command putting value to key "k".
func cmd(value string) kv.Command {
	return kv.Command{Client: 9, Seq: 1, Op: kv.OpPut, Key: "k", Value: value}
}

func promised(n nodes.ID, b paxos.Ballot) step {
	return step{node: n, fact: paxos.PromiseFact{Ballot: b}}
}

func proposed(n nodes.ID, slot uint64, b paxos.Ballot, c kv.Command) step {
	return step{node: n, fact: paxos.ProposeFact{Slot: slot, Ballot: b, Cmd: c}}
}

func accepted(n nodes.ID, slot uint64, b paxos.Ballot, c kv.Command) step {
	return step{node: n, fact: paxos.AcceptFact{Slot: slot, Ballot: b, Cmd: c}}
}

func learned(n nodes.ID, slot uint64, c kv.Command) step {
	return step{node: n, fact: paxos.LearnFact{Slot: slot, Cmd: c}}
}

// chose is the story of n1 leading ballot b and choosing c at slot with the
// acceptances of n1 and n2 (of three servers).
func chose(slot uint64, b paxos.Ballot, c kv.Command) []step {
	return []step{proposed(b.Node, slot, b, c), accepted(1, slot, b, c), accepted(2, slot, b, c)}
}

func steps(parts ...[]step) []step {
	var all []step
	for _, p := range parts {
		all = append(all, p...)
	}
	return all
}

func TestPaxos(t *testing.T) {
	a, b := cmd("a"), cmd("b")
	b11, b21, b22, b31 := bal(1, 1), bal(2, 1), bal(2, 2), bal(3, 1)
	tests := []struct {
		name  string
		steps []step
		want  []string // invariants, in order; nil = all held
		// wantStep is the step at which the first violation is reported.
		wantStep int
	}{
		// one-value-chosen
		{
			name: "a later ballot chooses the same value again",
			steps: steps(
				[]step{promised(1, b11), promised(2, b11)}, chose(1, b11, a),
				[]step{promised(2, b22), promised(3, b22), proposed(2, 1, b22, a), accepted(2, 1, b22, a), accepted(3, 1, b22, a)},
			),
		},
		{
			name: "a later ballot chooses another value",
			steps: steps(
				chose(1, b11, a),
				[]step{proposed(2, 1, b22, b), accepted(2, 1, b22, b), accepted(3, 1, b22, b)},
			),
			want:     []string{InvariantOneValueChosen},
			wantStep: 5,
		},
		{
			name:  "different values chosen at different slots",
			steps: steps(chose(1, b11, a), chose(2, b11, b)),
		},
		{
			name: "an unchosen value is replaced; acceptances never go away",
			steps: steps(
				[]step{proposed(1, 1, b11, a), accepted(1, 1, b11, a)},
				[]step{proposed(2, 1, b22, b), accepted(2, 1, b22, b), accepted(1, 1, b22, b), accepted(3, 1, b22, b)},
				[]step{accepted(2, 1, b11, a)}, // late: a is now chosen in b1.1 too
			),
			want:     []string{InvariantOneValueChosen},
			wantStep: 6,
		},
		// chosen-was-proposed
		{
			name:  "no-op chosen",
			steps: chose(1, b11, kv.Noop),
		},
		{
			name:     "chosen without a proposal",
			steps:    []step{accepted(1, 1, b11, a), accepted(2, 1, b11, a)},
			want:     []string{InvariantChosenWasProposed},
			wantStep: 1,
		},
		{
			name:     "accepted before it was proposed",
			steps:    []step{accepted(1, 1, b11, a), proposed(1, 1, b11, a), accepted(2, 1, b11, a)},
			want:     []string{InvariantChosenWasProposed},
			wantStep: 2,
		},
		{
			name:     "chosen value is not a client command",
			steps:    chose(1, b11, kv.Command{Client: 2, Seq: 1, Op: kv.OpPut, Key: "k"}),
			want:     []string{InvariantChosenWasProposed},
			wantStep: 2,
		},
		{
			name:     "chosen no-op with client fields",
			steps:    chose(1, b11, kv.Command{Client: 9, Op: kv.OpNoop}),
			want:     []string{InvariantChosenWasProposed},
			wantStep: 2,
		},
		// one-value-per-ballot
		{
			name:  "the same proposal reported twice",
			steps: []step{proposed(1, 1, b11, a), proposed(1, 1, b11, a), accepted(2, 1, b11, a), accepted(2, 1, b11, a)},
		},
		{
			name:     "two proposals in one ballot at one slot",
			steps:    []step{proposed(1, 1, b11, a), proposed(1, 1, b11, b)},
			want:     []string{InvariantOneValuePerBallot},
			wantStep: 1,
		},
		{
			name:     "accepted another value than the ballot proposed",
			steps:    []step{proposed(1, 1, b11, a), accepted(2, 1, b11, b)},
			want:     []string{InvariantOneValuePerBallot},
			wantStep: 1,
		},
		{
			name:     "proposal in another node's ballot",
			steps:    []step{proposed(2, 1, b11, a)},
			want:     []string{InvariantOneValuePerBallot},
			wantStep: 0,
		},
		// promise-monotonic
		{
			name:  "promise grows and is recovered after a crash",
			steps: []step{promised(1, bal(0, 0)), promised(1, b11), promised(1, b22), crash(1), promised(1, b22), promised(1, b31)},
		},
		{
			name:     "promise goes back",
			steps:    []step{promised(1, b22), promised(1, b21)},
			want:     []string{InvariantPromiseMonotonic},
			wantStep: 1,
		},
		{
			name:     "promise goes back across a restart",
			steps:    []step{promised(1, b22), crash(1), promised(1, b11)},
			want:     []string{InvariantPromiseMonotonic},
			wantStep: 2,
		},
		// accept-above-promise
		{
			name:  "accepts at and above the promise",
			steps: []step{promised(2, b21), proposed(1, 1, b21, a), accepted(2, 1, b21, a), proposed(1, 2, b31, b), accepted(2, 2, b31, b)},
		},
		{
			name:     "accepts below the promise",
			steps:    []step{proposed(1, 1, b11, a), promised(2, b22), accepted(2, 1, b11, a)},
			want:     []string{InvariantAcceptAbovePromise},
			wantStep: 2,
		},
		{
			name:     "accepts below the promise it made before a restart",
			steps:    []step{proposed(1, 1, b11, a), promised(2, b22), crash(2), accepted(2, 1, b11, a)},
			want:     []string{InvariantAcceptAbovePromise},
			wantStep: 3,
		},
		// learn-only-chosen
		{
			name:  "learners learn the chosen value",
			steps: steps(chose(1, b11, a), []step{learned(1, 1, a), learned(3, 1, a), crash(3), learned(3, 1, a)}),
		},
		{
			name:     "learned before a majority accepted",
			steps:    []step{proposed(1, 1, b11, a), accepted(1, 1, b11, a), learned(1, 1, a)},
			want:     []string{InvariantLearnOnlyChosen},
			wantStep: 2,
		},
		{
			name:     "learned another value than the chosen one",
			steps:    steps(chose(1, b11, a), []step{accepted(3, 1, b22, b), learned(3, 1, b)}),
			want:     []string{InvariantLearnOnlyChosen},
			wantStep: 4,
		},
		{
			name:     "acceptances of different ballots do not add up",
			steps:    []step{proposed(1, 1, b11, a), accepted(1, 1, b11, a), proposed(2, 1, b22, a), accepted(2, 1, b22, a), learned(2, 1, a)},
			want:     []string{InvariantLearnOnlyChosen},
			wantStep: 4,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := NewPaxos([]nodes.ID{1, 2, 3})
			got, at, all := play(p, tt.steps)
			require.Equal(t, tt.want, got, "violations: %v", all)
			if len(tt.want) > 0 {
				assert.Equal(t, tt.wantStep, at[0])
				assert.Equal(t, ClassSafety, all[0].Class)
				assert.NotEmpty(t, all[0].Nodes)
				assert.NotEmpty(t, all[0].Detail)
			}
		})
	}
}

func TestPaxosIgnoresOtherNodesAndFacts(t *testing.T) {
	p := NewPaxos([]nodes.ID{1, 2, 3})
	got, _, _ := play(p, []step{
		promised(1, bal(2, 1)),
		promised(9, bal(1, 1)), // a client is no acceptor
		accepted(9, 1, bal(1, 1), cmd("a")),
		{node: 2, fact: kv.AppliedFact{Index: 1, Cmd: kv.Noop}},
		{node: 2, fact: nodes.RoleChanged{Role: nodes.RoleLeader, Epoch: 1}},
	})
	assert.Empty(t, got)
}

func TestPaxosAcceptsPointerFacts(t *testing.T) {
	p := NewPaxos([]nodes.ID{1, 2})
	b := bal(1, 1)
	assert.Empty(t, p.Observe(0, 1, &paxos.PromiseFact{Ballot: b}))
	assert.Empty(t, p.Observe(1, 1, &paxos.ProposeFact{Slot: 1, Ballot: b, Cmd: cmd("a")}))
	assert.Empty(t, p.Observe(2, 1, &paxos.AcceptFact{Slot: 1, Ballot: b, Cmd: cmd("a")}))
	assert.Empty(t, p.Observe(3, 2, &paxos.AcceptFact{Slot: 1, Ballot: b, Cmd: cmd("a")}))
	assert.Empty(t, p.Observe(4, 2, &paxos.LearnFact{Slot: 1, Cmd: cmd("a")}))
	vs := p.Observe(5, 2, &paxos.LearnFact{Slot: 2, Cmd: cmd("a")})
	require.Len(t, vs, 1)
	assert.Equal(t, InvariantLearnOnlyChosen, vs[0].Invariant)
}

func TestPaxosViolationNamesBothChoices(t *testing.T) {
	p := NewPaxos([]nodes.ID{1, 2, 3, 4, 5})
	_, _, _ = play(p, []step{
		proposed(1, 7, bal(1, 1), cmd("a")), accepted(1, 7, bal(1, 1), cmd("a")),
		accepted(2, 7, bal(1, 1), cmd("a")), accepted(3, 7, bal(1, 1), cmd("a")),
		proposed(5, 7, bal(2, 5), cmd("b")), accepted(3, 7, bal(2, 5), cmd("b")), accepted(4, 7, bal(2, 5), cmd("b")),
	})
	vs := p.Observe(time.Second, 5, paxos.AcceptFact{Slot: 7, Ballot: bal(2, 5), Cmd: cmd("b")})
	require.Len(t, vs, 1)
	assert.Equal(t, InvariantOneValueChosen, vs[0].Invariant)
	assert.Equal(t, []nodes.ID{1, 2, 3, 4, 5}, vs[0].Nodes)
	assert.Equal(t, time.Second, vs[0].At)
	assert.Contains(t, vs[0].Detail, "slot 7")
	assert.Contains(t, vs[0].Detail, "b1.1")
	assert.Contains(t, vs[0].Detail, "b2.5")
}
