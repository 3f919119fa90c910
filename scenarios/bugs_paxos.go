package scenarios

import (
	"github.com/consim/consim/checker"
)

// The Multi-Paxos entries of the bug catalog. Each switches on one field of
// paxos.Bugs.
func init() {
	registerBugs(
		Bug{
			Name:     "paxos-promise-omits-accepted",
			Protocol: "paxos",
			Origin:   "Paxos Made Simple §2.2 (P2c); the acceptor bug behind lost writes in several homegrown Paxos implementations",
			Description: "an acceptor's promise leaves out the values it has accepted, so a new leader proposes a different value " +
				"for a slot where one was already chosen",
			CaughtBy:  []string{checker.InvariantOneValueChosen, checker.InvariantLearnOnlyChosen, checker.InvariantAppliedAgreement, checker.InvariantLinearizability},
			Scenarios: []string{"leader-isolation", "crash-restart", "swarm"},
			Budget:    20,
			enable:    func(o *Options) { o.PaxosBugs.PromiseOmitsAccepted = true },
		},
	)
}
