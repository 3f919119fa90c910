package scenarios

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// setProgram sets Program for one test and puts it back after.
func setProgram(t *testing.T, name string) {
	was := Program
	Program = name
	t.Cleanup(func() { Program = was })
}

func TestCommandLinesStartWithTheProgram(t *testing.T) {
	r := Result{Protocol: "raft", Scenario: "lossy", Seed: 7}
	buggy := Result{Protocol: "paxos", Bug: "paxos-promise-omits-accepted", Scenario: "my run", Seed: 3}
	c := RegressCase{File: "corpus/a b.yaml", Seed: 9, Result: Result{Protocol: "raft"}}
	tests := []struct {
		program string
		got     func() string
		want    string
	}{
		{"simrun", r.ReproduceCommand, "simrun run --protocol raft --scenario lossy --seed 7"},
		{"./simrun", r.ReproduceCommand, "./simrun run --protocol raft --scenario lossy --seed 7"},
		{"go run ./cmd/simrun", buggy.ReproduceCommand, "go run ./cmd/simrun run --protocol paxos --bug paxos-promise-omits-accepted --scenario 'my run' --seed 3"},
		{"./simrun", c.Command, "./simrun run --protocol raft --scenario-file 'corpus/a b.yaml' --seed 9"},
		{"bin/simrun", func() string { return reproduceFileCommand(r, "scenario.yaml") }, "bin/simrun run --protocol raft --scenario-file scenario.yaml --seed 7"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			setProgram(t, tt.program)
			assert.Equal(t, tt.want, tt.got())
		})
	}
}

func TestAPassingRunHasAnEmptyListOfViolationsInJSON(t *testing.T) {
	s, err := Named("steady")
	require.NoError(t, err)
	s.Duration = 2 * s.LivenessWindow
	res, err := Run(s, Options{Protocol: "raft", Seed: 1})
	require.NoError(t, err)
	require.Equal(t, VerdictOK, res.Verdict)
	data, err := json.Marshal(res)
	require.NoError(t, err)
	assert.Contains(t, string(data), `"violations":[]`)
}
