package scenarios

import (
	"github.com/consim/consim/checker"
)

// The Raft entries of the bug catalog. Each switches on one field of
// raft.Bugs.
func init() {
	registerBugs(
		Bug{
			Name:     "raft-vote-without-log-check",
			Protocol: "raft",
			Origin:   "Raft §5.4.1's election restriction; LogCabin and early hashicorp/raft reviews found candidates elected on term alone",
			Description: "a server grants its vote without checking that the candidate's log is at least as up-to-date as its own, " +
				"so a candidate missing committed entries can win and overwrite them",
			CaughtBy:  []string{checker.InvariantLeaderCompleteness, checker.InvariantStateMachineSafety, checker.InvariantLinearizability},
			Scenarios: []string{"swarm", "crash-restart", "majority-partition"},
			Budget:    40,
			enable:    func(o *Options) { o.RaftBugs.VoteWithoutLogCheck = true },
		},
		Bug{
			Name:     "raft-commit-prior-term-by-count",
			Protocol: "raft",
			Origin:   "Raft paper Figure 8 (§5.4.2): the bug the rule was added for; found in several student and early production Rafts",
			Description: "a leader advances its commit index over entries of earlier terms by counting replicas alone; " +
				"such an entry can still be overwritten by a later leader",
			CaughtBy:  []string{checker.InvariantStateMachineSafety, checker.InvariantLeaderCompleteness, checker.InvariantLinearizability},
			Scenarios: []string{"swarm"},
			Budget:    0, // needs the Figure 8 interleaving; see nodes/raft TestFigure8
			enable:    func(o *Options) { o.RaftBugs.CommitPriorTermByCount = true },
		},
	)
}
