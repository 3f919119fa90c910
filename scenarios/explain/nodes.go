package explain

import (
	"fmt"

	"github.com/consim/consim/nodes"
	"github.com/consim/consim/sim"
)

// roleDigest is the digest of a role fact record (the host notes a fact
// with the hash of its kind).
var roleDigest = sim.HashString(nodes.RoleChanged{}.Kind())

// roleOf reads the role change a fact record reports, if it is one. The
// record's detail is nodes.RoleChanged's String.
func roleOf(r sim.Record) (nodes.RoleChanged, bool) {
	if r.Kind != sim.KindFact || r.Digest != roleDigest {
		return nodes.RoleChanged{}, false
	}
	var f nodes.RoleChanged
	var role string
	if _, err := fmt.Sscanf(r.Detail, "role %s epoch %d", &role, &f.Epoch); err != nil {
		return nodes.RoleChanged{}, false
	}
	f.Role = nodes.Role(role)
	return f, true
}

// nodeState is what a node's column shows at a moment: whether it runs,
// and its last reported role.
type nodeState struct {
	down bool
	// halted says the node refused a corrupt disk (or panicked) and
	// stays down.
	halted bool
	role   nodes.RoleChanged
}

// leads reports whether the node runs and last reported being leader.
func (s nodeState) leads() bool { return !s.down && s.role.Role == nodes.RoleLeader }

func (s nodeState) String() string {
	switch {
	case s.halted:
		return "halted"
	case s.down:
		return "down"
	case s.role.Role == "":
		return "up"
	}
	return fmt.Sprintf("%s e%d", s.role.Role, s.role.Epoch)
}

// step applies record r, about this node, to the state. A crash forgets
// the role: a restarted node reports its role again.
func (s *nodeState) step(r sim.Record) {
	switch r.Kind {
	case sim.KindCrash:
		s.down, s.role = true, nodes.RoleChanged{}
	case sim.KindHalt, sim.KindPanic:
		s.down, s.halted, s.role = true, true, nodes.RoleChanged{}
	case sim.KindRestart:
		s.down, s.halted = false, false
	case sim.KindFact:
		if f, ok := roleOf(r); ok {
			s.role = f
		}
	}
}

// subject is the node a record is about (the one whose column shows it),
// or 0 for a record about the whole world (a fault action of the
// scenario) or about a message (shown as an arrow).
func subject(r sim.Record) int {
	switch r.Kind {
	case sim.KindCrash, sim.KindRestart, sim.KindHalt, sim.KindPanic, sim.KindFact, sim.KindTimer, sim.KindCall, sim.KindReturn:
		return r.From
	case sim.KindFault:
		return r.From // 0 for the scenario's actions, the node for a pause's end
	}
	return 0
}

// statesBefore is every node's state after the first n records of trace;
// index i is node i (index 0 unused).
func statesBefore(trace []sim.Record, n, count int) []nodeState {
	states := make([]nodeState, count+1)
	for _, r := range trace[:n] {
		if id := subject(r); id > 0 && id <= count {
			states[id].step(r)
		}
	}
	return states
}
