package main

import (
	"go/parser"
	"go/token"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const sample = `package p

type Node struct{ bugs struct{ Skip bool }; n, q int; ok bool }

func (n *Node) vote(term int) bool {
	if n.bugs.Skip {
		n.n++ // a broken variant's path: left alone
	}
	if term < 0 {
		panic("negative term") // an assertion: left alone
	}
	if n.ok && term >= n.q {
		n.send(term + 1)
	}
	if !n.ok {
		return false
	}
	return true
}

func (n *Node) send(int) {}

func (n *Node) String() string { return "n" + "x" }
`

func TestFindMutants(t *testing.T) {
	ms, err := fileMutants("p/p.go", []byte(sample))
	require.NoError(t, err)
	var got []string
	for _, m := range ms {
		got = append(got, string(m.Operator)+" "+m.Change)
	}
	assert.Equal(t, []string{
		"negate-condition cond -> !(cond)",
		"invert-logical && -> ||",
		"conditionals-boundary >= -> >",
		"conditionals-negation >= -> <",
		"delete-call delete n.send(...)",
		"arithmetic-base + -> -",
		"negate-condition cond -> !(cond)",
		"remove-not !x -> x",
		"flip-return return false -> true",
		"flip-return return true -> false",
	}, got, "bug paths, assertions and String methods have no mutants")
	for _, m := range ms {
		mutated := m.Apply([]byte(sample))
		_, err := parser.ParseFile(token.NewFileSet(), "m.go", mutated, 0)
		assert.NoError(t, err, "mutant %s parses", m.ID)
		assert.NotEqual(t, sample, string(mutated))
		assert.True(t, strings.HasPrefix(m.ID, "p/p.go (*Node).vote "), m.ID)
	}
	assert.Contains(t, string(ms[4].Apply([]byte(sample))), "if n.ok && term >= n.q {\n\t\t\n\t}")
}

func TestMutantIDsSurviveEditsAbove(t *testing.T) {
	before, err := fileMutants("p/p.go", []byte(sample))
	require.NoError(t, err)
	after, err := fileMutants("p/p.go", []byte(strings.Replace(sample, "package p\n", "package p\n\n// A comment that moves every line.\nvar _ = 1\n", 1)))
	require.NoError(t, err)
	require.Len(t, after, len(before))
	for i := range before {
		assert.Equal(t, before[i].ID, after[i].ID)
		assert.Equal(t, before[i].Line+3, after[i].Line)
	}
}

func TestSelectMutants(t *testing.T) {
	ms := []Mutant{{ID: "a"}, {ID: "b"}, {ID: "c"}, {ID: "ab"}}
	got, err := selectMutants(ms, "a", "0/1")
	require.NoError(t, err)
	assert.Len(t, got, 2)
	got, err = selectMutants(ms, "", "1/2")
	require.NoError(t, err)
	assert.Equal(t, []Mutant{{ID: "b"}, {ID: "ab"}}, got)
	_, err = selectMutants(ms, "", "2/2")
	assert.Error(t, err)
}
