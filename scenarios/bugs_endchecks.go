package scenarios

import (
	"github.com/consim/consim/checker"
)

// The Raft entries of the bug catalog that only the end-of-run checks
// (endchecks.go) catch: the clients are served and every safety invariant
// holds, yet the cluster is not what it claims to be.
func init() {
	registerBugs(
		Bug{
			Name:     "raft-followers-never-apply",
			Protocol: "raft",
			Origin: "camunda/camunda#3484 (2019): after a restart one replica of a partition never applied a single index while " +
				"its commit index kept growing; yugabyte/yugabyte-db#32876: a follower silently and permanently behind, " +
				"missing committed data while every health signal stayed green (Raft Figure 2: every server applies " +
				"entries up to commitIndex)",
			Description: "followers store, acknowledge and commit entries but never apply them; only the leader's state machine " +
				"moves, so clients notice nothing until a follower has to lead or serve",
			CaughtBy:  []string{checker.InvariantConvergence},
			Scenarios: []string{"steady", "crash-restart", "swarm"},
			Budget:    5,
			enable:    func(o *Options) { o.RaftBugs.FollowersNeverApply = true },
		},
		Bug{
			Name:     "raft-no-idle-heartbeats",
			Protocol: "raft",
			Origin: "cockroachdb/cockroach#9372 (2016, \"storage: quiescence leads to more elections\"): a leader that stopped " +
				"heartbeating an idle range while a follower still ticked let the follower time out and call elections " +
				"(Raft §5.2: a leader sends heartbeats during idle periods to keep its authority)",
			Description: "the leader's heartbeat goes only to followers that lack entries; when no command comes for an election " +
				"timeout, followers hear nothing and depose a healthy leader",
			CaughtBy:  []string{checker.InvariantStability},
			Scenarios: []string{"idle-bursts", "steady"},
			Budget:    5,
			enable:    func(o *Options) { o.RaftBugs.NoIdleHeartbeats = true },
		},
	)
}
