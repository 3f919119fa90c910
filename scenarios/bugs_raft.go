package scenarios

import (
	"github.com/consim/consim/checker"
)

// The Raft entries of the bug catalog. Each switches on one field of
// raft.Bugs.
//
// CaughtBy lists the invariants seen as the first violation when hunting
// the entry on its scenarios (simrun bugs), most frequent first. Budgets
// leave a margin over the detection rate measured on Scenarios[0] (seeds
// 1..300), so that a change that reshuffles the seeds still detects the bug
// within the budget: a bug caught by more than 3 seeds in 4 gets 5 seeds,
// a rarer one 10.
func init() {
	registerBugs(
		Bug{
			Name:     "raft-vote-without-log-check",
			Protocol: "raft",
			Origin: "ktoso/akka-raft#30 (2015, re-reported as #51) and jgroups-extras/jgroups-raft#14 (2015): votes were granted " +
				"without reading the candidate's lastLogIndex and lastLogTerm, skipping the election restriction of Raft §5.4.1",
			Description: "a server grants its vote without checking that the candidate's log is at least as up-to-date as its own, " +
				"so a candidate missing committed entries can win and overwrite them",
			CaughtBy:  []string{checker.InvariantLeaderCompleteness, checker.InvariantStateMachineSafety, checker.InvariantLinearizability},
			Scenarios: []string{"flapping", "figure-8", "swarm"},
			Budget:    5, // caught on 300 of 300 seeds of flapping
			enable:    func(o *Options) { o.RaftBugs.VoteWithoutLogCheck = true },
		},
		Bug{
			Name:     "raft-vote-compares-last-index-only",
			Protocol: "raft",
			Origin: "modelled on sile/noraft#22: the RequestVote handler compared log indexes only, so a candidate whose log " +
				"ended in an older term won votes from followers holding newer entries (Raft §5.4.1; hashicorp/raft#94, " +
				"reported by Ongaro in 2016, got the same comparison wrong the other way)",
			Description: "the election restriction compares the lengths of the logs only, ignoring the terms of their last entries, " +
				"so a deposed leader with a long tail of stale entries beats voters that hold newer committed entries",
			CaughtBy:  []string{checker.InvariantLeaderCompleteness},
			Scenarios: []string{"figure-8", "flapping"},
			Budget:    5, // caught on 260 of 300 seeds of figure-8
			enable:    func(o *Options) { o.RaftBugs.VoteComparesLastIndexOnly = true },
		},
		Bug{
			Name:     "raft-commit-prior-term-by-count",
			Protocol: "raft",
			Origin: "LogCabin issue #44 (Ongaro, 2013): the leader committed entries of earlier terms once a quorum stored them; " +
				"the Raft paper's Figure 8 (§5.4.2) shows how such an entry is overwritten (nats-server's NRG fixed the same " +
				"rule in nats-io/nats-server#7955)",
			Description: "a leader advances its commit index over entries of earlier terms by counting replicas alone; " +
				"such an entry can still be overwritten by a later leader. consim's leaders append a no-op at once, so only a " +
				"follower lagging more than one AppendEntries (64 entries) behind acknowledges old entries without the no-op: " +
				"figure-8 builds such lags",
			CaughtBy:  []string{checker.InvariantLeaderCompleteness, checker.InvariantStateMachineSafety, checker.InvariantLinearizability},
			Scenarios: []string{"figure-8"},
			Budget:    10, // caught on 167 of 300 seeds of figure-8; see also nodes/raft TestFigure8
			enable:    func(o *Options) { o.RaftBugs.CommitPriorTermByCount = true },
		},
		Bug{
			Name:     "raft-reply-before-sync",
			Protocol: "raft",
			Origin: "tikv/tikv#994 (2016): a follower acknowledged MsgAppend before RocksDB's write-ahead log reached the disk, " +
				"so after a machine crash its log lacked entries the leader had counted; robustmq/robustmq#2039 found the " +
				"same for openraft's vote and log writes",
			Description: "a server answers RequestVote and AppendEntries before syncing the term, vote and entries they changed, " +
				"and syncs them at its next input; a crash in between loses an acknowledged entry (a committed entry can " +
				"vanish from a majority) or a vote (two leaders in one term)",
			CaughtBy:  []string{checker.InvariantCommitDurability, checker.InvariantLeaderCompleteness, checker.InvariantLiveness, checker.InvariantElectionSafety},
			Scenarios: []string{"crash-all", "restart-storm", "late-votes"},
			Budget:    10, // caught on 208 of 300 seeds of crash-all
			enable:    func(o *Options) { o.RaftBugs.ReplyBeforeSync = true },
		},
		Bug{
			Name:     "raft-forget-vote-on-restart",
			Protocol: "raft",
			Origin: "modelled on ktoso/akka-raft#56 (2015, found by fuzz testing: nodes forgot whom they had voted for and two " +
				"leaders were elected in one term), vesoft-inc/nebula#3415 (2021: a candidate did not persist its vote for " +
				"itself) and wenweihu86/raft-java#57 (votedFor not persisted)",
			Description: "votedFor is not recovered at restart, so a server that crashes and restarts within a term votes in it " +
				"a second time, and two candidates can each win that term",
			CaughtBy:  []string{checker.InvariantOneVotePerTerm},
			Scenarios: []string{"late-votes", "swarm"},
			Budget:    10, // caught on 223 of 300 seeds of late-votes
			enable:    func(o *Options) { o.RaftBugs.ForgetVoteOnRestart = true },
		},
		Bug{
			Name:     "raft-truncate-on-every-append",
			Protocol: "raft",
			Origin: "ktoso/akka-raft#66 (2015, found by fuzz testing): a follower deleted the entries after every AppendEntries, " +
				"not only at a conflict, so a delayed AppendEntries removed entries the leader had counted as replicated",
			Description: "a follower drops every entry after those an AppendEntries carries (keeping only what it knows committed), " +
				"so an older AppendEntries arriving late deletes acknowledged entries: a later leader can miss a committed " +
				"entry, and the follower, which the leader believes holds them, stalls until the next election",
			CaughtBy:  []string{checker.InvariantCommitDurability, checker.InvariantLeaderCompleteness, checker.InvariantLiveness},
			Scenarios: []string{"figure-8", "crash-restart", "lossy"},
			Budget:    5, // caught on 300 of 300 seeds of figure-8 (262 by leader completeness)
			enable:    func(o *Options) { o.RaftBugs.TruncateOnEveryAppend = true },
		},
		Bug{
			Name:     "raft-commit-to-last-index",
			Protocol: "raft",
			Origin: "modelled on atomix/copycat#265 (2017) and scylladb/scylladb#9965 (2022): followers marked stale entries " +
				"committed by taking the leader's commit index beyond what the AppendEntries had matched; etcd-io/etcd#1203 " +
				"(2014) adopted min(leaderCommit, index of last new entry), and etcd's heartbeats carry min(match, committed)",
			Description: "a follower sets its commit index to min(leaderCommit, its own last index) on every AppendEntries of the " +
				"leader's term, even a rejected one, instead of min(leaderCommit, index of last new entry) after a match, so " +
				"it commits and applies a stale tail the leader has not yet overwritten",
			CaughtBy:  []string{checker.InvariantStateMachineSafety},
			Scenarios: []string{"flapping", "figure-8", "swarm"},
			Budget:    5, // caught on 285 of 300 seeds of flapping
			enable:    func(o *Options) { o.RaftBugs.CommitToLastIndex = true },
		},
		Bug{
			Name:     "raft-apply-before-commit",
			Protocol: "raft",
			Origin: "modelled on jgroups-extras/jgroups-raft#26 (2015): a leader without a majority appended an entry and set " +
				"last_applied to it while commit_index stayed behind (Raft §5.3: apply only committed entries)",
			Description: "a server applies every entry to its state machine as soon as the entry is durable in its log, and a " +
				"leader answers the client then, before a majority holds it; an entry that is later overwritten has already " +
				"taken effect and been acknowledged",
			CaughtBy:  []string{checker.InvariantAppliedAgreement},
			Scenarios: []string{"leader-isolation", "majority-partition", "figure-8"},
			Budget:    5, // caught on 300 of 300 seeds of leader-isolation
			enable:    func(o *Options) { o.RaftBugs.ApplyBeforeCommit = true },
		},
		Bug{
			Name:     "raft-read-locally",
			Protocol: "raft",
			Origin: "Jepsen, \"Call me maybe: etcd and Consul\" (Kingsbury, 2014): reads served from a node's local state " +
				"without a quorum round returned stale values from a partitioned ex-leader; etcd added quorum reads and Consul " +
				"a consistent mode (Raft §8: a leader must confirm it still leads before answering a read)",
			Description: "a leader answers a get from its own state machine, with no log entry and no heartbeat round with a " +
				"majority: an isolated leader that has not noticed its deposition, or a new leader that has not yet applied its " +
				"predecessor's last entries, returns stale values",
			CaughtBy:  []string{checker.InvariantLinearizability},
			Scenarios: []string{"isolated-reads", "figure-8"},
			Budget:    5, // caught on 262 of 300 seeds of isolated-reads
			enable:    func(o *Options) { o.RaftBugs.ReadLocally = true },
		},
		Bug{
			Name:     "raft-commit-quorum-minority",
			Protocol: "raft",
			Origin: "modelled on tarantool/tarantool#7896 (2022): replication_synchro_quorum lowered below N/2+1 lets two " +
				"disjoint groups of nodes each reach their quorum and commit",
			Description: "a leader commits an entry once 2 of the 5 servers (itself included) hold it, a quorum that need not " +
				"overlap the majority that elects the next leader, which then lacks the committed entry",
			CaughtBy:  []string{checker.InvariantCommitDurability, checker.InvariantLeaderCompleteness},
			Scenarios: []string{"majority-partition", "flapping"},
			Budget:    5, // caught on 300 of 300 seeds of majority-partition
			enable:    func(o *Options) { o.RaftBugs.CommitQuorum = 2 },
		},
		Bug{
			Name:     "raft-readindex-before-noop",
			Protocol: "raft+readindex",
			Origin: "etcd-io/etcd#7331 (2017, \"ReadIndex may read stale value\"): a new leader's committed index can lag " +
				"behind the old leader's until an entry of its term commits; fixed in etcd-io/etcd#7332 (tikv/tikv#6340 and " +
				"RedisLabs/redisraft#22 fixed the same hole; Ongaro's thesis §6.4 step 1)",
			Description: "a new leader takes its commit index as the read index at once, although that index can lag behind " +
				"entries its predecessor committed and acknowledged, so a read that starts after a write completed misses it",
			CaughtBy:  []string{checker.InvariantLinearizability},
			Scenarios: []string{"lossy-failover", "figure-8", "read-failover"},
			Budget:    30, // caught on 32 of 300 seeds of lossy-failover: the window is one round trip after an election
			enable:    func(o *Options) { o.RaftBugs.ReadIndexBeforeNoop = true },
		},
		Bug{
			Name:     "raft-lease-ignores-drift",
			Protocol: "raft+checkquorum+readindex+lease",
			Origin: "tikv/tikv#964 (2016) and tikv/tikv#1127: lease reads ignored clock drift, so a leader whose clock ran " +
				"slow kept its lease after the other nodes' had expired; sofastack/sofa-jraft#25 (2019) and hashicorp/consul#54 " +
				"(2014) report stale lease reads the same way (Ongaro's thesis §6.4.1: leases assume bounded clock drift)",
			Description: "the leader's lease lasts 90% of the minimum election timeout on its own clock whatever the clock " +
				"drift: a leader whose clock runs slow keeps answering reads after followers whose clocks run fast have " +
				"elected a new leader that took writes",
			CaughtBy:  []string{checker.InvariantLinearizability},
			Scenarios: []string{"lease-drift", "clock-drift", "swarm"},
			Budget:    10, // caught on 74 of 100 seeds of lease-drift
			enable:    func(o *Options) { o.RaftBugs.LeaseIgnoresDrift = true },
		},
	)
}
