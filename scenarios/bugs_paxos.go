package scenarios

import (
	"github.com/consim/consim/checker"
)

// The Multi-Paxos entries of the bug catalog. Each switches on one field
// (or, for the quorum sizes, a pair of fields) of paxos.Bugs.
func init() {
	registerBugs(
		Bug{
			Name:     "paxos-promise-omits-accepted",
			Protocol: "paxos",
			Origin:   "Paxos Made Simple §2.2 (P2c: the new leader must propose the highest-ballot accepted value, which it can only learn from the promises); a classic acceptor mistake, not one specific report",
			Description: "an acceptor's promise leaves out the values it has accepted, so a new leader proposes a different value " +
				"for a slot where one was already chosen",
			CaughtBy:  []string{checker.InvariantOneValueChosen, checker.InvariantLearnOnlyChosen, checker.InvariantAppliedAgreement, checker.InvariantLinearizability},
			Scenarios: []string{"leader-isolation", "crash-restart", "swarm"},
			Budget:    20,
			enable:    func(o *Options) { o.PaxosBugs.PromiseOmitsAccepted = true },
		},
		Bug{
			Name:     "paxos-adopt-lowest-ballot",
			Protocol: "paxos",
			Origin: "Paxos Made Simple §2.2, P2c (propose the value of the highest-numbered proposal among the promises); " +
				"a textbook proposer mistake (merging promises by age or arrival instead of by ballot), not one specific report",
			Description: "a new leader adopts, at each slot, the value accepted with the lowest ballot among the promises instead of the highest, " +
				"so it proposes again a value that lost to a later ballot and the slot chooses a second value",
			CaughtBy:  []string{checker.InvariantOneValueChosen, checker.InvariantLearnOnlyChosen, checker.InvariantAppliedAgreement, checker.InvariantLinearizability},
			Scenarios: []string{"flapping"}, // the only named scenario that forks accepted values often enough (22 of seeds 1:100)
			Budget:    30,
			enable:    func(o *Options) { o.PaxosBugs.AdoptLowestBallot = true },
		},
		Bug{
			Name:     "paxos-round-only-ballots",
			Protocol: "paxos",
			Origin: "Paxos Made Simple §2.2 (\"different proposers choose their numbers from disjoint sets\"); modelled on " +
				"ballots numbered by a bare counter: Tencent/phxpaxos#34 and #107 explain that its \">= promised\" acceptor check " +
				"is safe only because a ballot carries the node id",
			Description: "ballots are compared by round alone (no node-id tie-break), so two proposers that pick the same round both win phase 1 " +
				"and acceptors accept both leaders' proposals",
			CaughtBy: []string{checker.InvariantAcceptAbovePromise, checker.InvariantOneValuePerBallot, checker.InvariantOneValueChosen,
				checker.InvariantLearnOnlyChosen, checker.InvariantAppliedAgreement, checker.InvariantLinearizability},
			Scenarios: []string{"flapping", "swarm", "pause-leader"},
			Budget:    20,
			enable:    func(o *Options) { o.PaxosBugs.RoundOnlyBallots = true },
		},
		Bug{
			Name:     "paxos-accept-below-promise",
			Protocol: "paxos",
			Origin: "Paxos Made Simple §2.2 (P1a); modelled on scylladb/scylladb#6139, where an LWT replica accepted a proposal " +
				"of an older ballot than one it had already accepted, and two conflicting transactions committed",
			Description: "an acceptor accepts (and acknowledges) a proposal whose ballot is below its promise, so a deposed leader that has not " +
				"noticed yet still gets values chosen",
			CaughtBy: []string{checker.InvariantAcceptAbovePromise, checker.InvariantOneValueChosen, checker.InvariantLearnOnlyChosen,
				checker.InvariantAppliedAgreement, checker.InvariantLinearizability},
			Scenarios: []string{"pause-leader", "leader-isolation", "swarm"},
			Budget:    10,
			enable:    func(o *Options) { o.PaxosBugs.AcceptBelowPromise = true },
		},
		Bug{
			Name:     "paxos-promise-not-durable",
			Protocol: "paxos",
			Origin: "Paxos Made Simple §2.2 (an acceptor must remember its promise even if it fails and restarts); modelled on " +
				"scylladb/scylladb#6154 and #6149, where pruning and TTL expiry of the Paxos state made replicas forget ballots they had promised",
			Description: "the acceptor's promise is kept in memory only (reported and answered as if synced), so after a crash it has " +
				"forgotten the ballots it promised to ignore",
			CaughtBy: []string{checker.InvariantPromiseMonotonic, checker.InvariantAcceptAbovePromise, checker.InvariantOneValuePerBallot,
				checker.InvariantOneValueChosen, checker.InvariantLearnOnlyChosen, checker.InvariantAppliedAgreement, checker.InvariantLinearizability},
			Scenarios: []string{"crash-restart", "restart-storm", "crash-all"},
			Budget:    10,
			enable:    func(o *Options) { o.PaxosBugs.PromiseNotDurable = true },
		},
		Bug{
			Name:     "paxos-flexible-quorums-disjoint",
			Protocol: "paxos",
			Origin: "Flexible Paxos (Howard, Malkhi & Spiegelman, 2016): every phase-1 quorum must meet every phase-2 quorum, " +
				"|Q1| + |Q2| > N; a configuration that breaks the rule, not one specific report",
			Description: "phase 1 needs 2 promises and phase 2 needs 3 acceptances among 5 servers (2 + 3 <= 5), so a new leader's phase 1 " +
				"can miss every acceptor that chose a value and propose another one there (meant for 5 servers; with 3, 2 + 3 > 3 is safe)",
			CaughtBy:  []string{checker.InvariantOneValueChosen, checker.InvariantLearnOnlyChosen, checker.InvariantAppliedAgreement, checker.InvariantLinearizability},
			Scenarios: []string{"flapping", "bridge", "majorities-ring"},
			Budget:    10,
			enable: func(o *Options) {
				o.PaxosBugs.Phase1Quorum = 2
				o.PaxosBugs.Phase2Quorum = 3
			},
		},
	)
}

// The baseline's entry: replication without consensus. It is not a bug
// switched on in a correct protocol (primary-backup has no correct
// variant, so enable does nothing); it shows the checkers catching what
// consensus prevents. It lives here until the baseline has a file of its
// own.
func init() {
	registerBugs(Bug{
		Name:     "no-consensus-primary-backup",
		Protocol: "primary-backup",
		Origin: "replication without consensus, modelled on asynchronous primary-backup as in MySQL asynchronous replication " +
			"or Redis master-replica replication with a failover by timeout; a baseline, not a bug report",
		Description: "the primary answers before any backup has a write and the lowest-id server that sees a majority takes over by " +
			"timeout, so a partition hands writes to a second primary and the old one comes back with a stale log",
		CaughtBy:  []string{checker.InvariantAppliedAgreement, checker.InvariantLinearizability},
		Scenarios: []string{"majority-partition", "leader-isolation", "crash-restart"},
		Budget:    10,
	})
}
