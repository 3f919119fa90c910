package scenarios

import (
	"slices"
	"time"

	"github.com/consim/consim/checker"
	"github.com/consim/consim/nodes"
	"github.com/consim/consim/nodes/kv"
	"github.com/consim/consim/sim"
)

// The end-of-run checks: convergence (checker.CheckConvergence) after a
// liveness phase that healed, and stability (checker.CheckStability) in a
// run without faults. Like every check they only observe: what they need
// is collected from the facts as they are reported and from the servers'
// nodes.Replica after the World has stopped.

// Stable-network bounds of a fault-free run (see faultFree): every
// protocol's election timeout starts at 150ms with heartbeats every 50ms,
// so a spurious election would need three heartbeats in a row each delayed
// by about 100ms; with at most 20ms minimum latency and a 10ms mean tail
// the chance of one is below 1e-3 per message.
const (
	stableLatencyMin      = 20 * time.Millisecond
	stableLatencyTailMean = 10 * time.Millisecond
)

// faultFree reports whether a run of s has no faults at all, so that its
// cluster owes one leader election and nothing more (the stability check):
// no fault schedule (hence no crash, pause, drift or operator action), no
// swarm, a network that loses, duplicates and reorders nothing, with no
// per-link settings, and latencies far below an election timeout.
func faultFree(s Scenario) bool {
	n := s.Network
	return len(s.Faults) == 0 && !s.Swarm &&
		n.DropRate == 0 && n.DuplicateRate == 0 && n.ReorderRate == 0 && len(n.Links) == 0 &&
		n.LatencyMin <= stableLatencyMin && n.LatencyTailMean <= stableLatencyTailMean
}

// endChecks is what the end-of-run checks collect during a run.
type endChecks struct {
	// targetAt is the time up to which applied indexes count towards the
	// convergence target: one liveness window before the end, so that a
	// replica has at least that long to catch up with any entry (and
	// twice that after the liveness phase restarted it).
	targetAt time.Duration
	// target is the highest index any replica applied by targetAt.
	target uint64
	// quiet says the run is fault-free; roles are then its role changes
	// and each server's first applied command after each of them
	// (appliedSinceRole[id] says it has been recorded).
	quiet            bool
	roles            []checker.StabilityEvent
	appliedSinceRole []bool
}

func newEndChecks(s Scenario) endChecks {
	return endChecks{targetAt: s.Duration - s.LivenessWindow, quiet: faultFree(s), appliedSinceRole: make([]bool, s.Servers+1)}
}

// observe reads one fact (valid only during the call).
func (e *endChecks) observe(now time.Duration, node nodes.ID, f nodes.Fact) {
	switch f := f.(type) {
	case *kv.AppliedFact:
		e.applied(now, node, f.Index)
	case kv.AppliedFact:
		e.applied(now, node, f.Index)
	case nodes.RoleChanged:
		if e.quiet {
			e.roles = append(e.roles, checker.StabilityEvent{At: now, Node: node, Role: f.Role, Epoch: f.Epoch})
			if int(node) < len(e.appliedSinceRole) {
				e.appliedSinceRole[node] = false
			}
		}
	}
}

func (e *endChecks) applied(now time.Duration, node nodes.ID, index uint64) {
	if now <= e.targetAt {
		e.target = max(e.target, index)
	}
	if e.quiet && int(node) < len(e.appliedSinceRole) && !e.appliedSinceRole[node] {
		e.roles = append(e.roles, checker.StabilityEvent{At: now, Node: node, Applied: true})
		e.appliedSinceRole[node] = true
	}
}

// judgeEnd adds the end-of-run checks' violations to those found so far.
// They judge only a run that reached its time limit with no earlier
// violation: stability when the run is fault-free, then convergence when
// the liveness phase healed the faults (not under KeepFaults).
func (r *run) judgeEnd(violations []checker.Violation, stop sim.StopReason) []checker.Violation {
	if stop != sim.StopTimeLimit || len(violations) > 0 {
		return violations
	}
	end := r.world.Now()
	if r.end.quiet {
		violations = append(violations, checker.CheckStability(r.end.roles, end)...)
	}
	if len(violations) > 0 || r.scenario.KeepFaults {
		return violations
	}
	return append(violations, checker.CheckConvergence(checker.Convergence{
		Replicas: r.replicaEnds(),
		Target:   r.end.target,
		TargetAt: r.end.targetAt,
		Commands: r.agreedCommands(),
		End:      end,
	})...)
}

// replicaEnds asks every server that is up at the end (a crashed or halted
// one is down: it owes nothing; so does one that a kept fault cuts off to
// the end) and implements nodes.Replica for its applied state.
func (r *run) replicaEnds() []checker.ReplicaEnd {
	var out []checker.ReplicaEnd
	keptOff := r.scenario.keptAway()
	for _, id := range r.host.Servers() {
		p := r.host.Proc(id)
		if !p.Up() || slices.Contains(keptOff, id) {
			continue
		}
		if replica, ok := p.Node().(nodes.Replica); ok {
			st := replica.AppliedState()
			out = append(out, checker.ReplicaEnd{Node: id, Applied: st.Index, Digest: st.Digest})
		}
	}
	return out
}

// agreedCommands are the commands applied at each index, from the run's
// applied-agreement checker.
func (r *run) agreedCommands() []kv.Command {
	for _, c := range r.online {
		if a, ok := c.(*checker.Applied); ok {
			return a.Agreed()
		}
	}
	return nil
}
