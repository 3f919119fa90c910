package scenarios

import (
	"fmt"
	"slices"
	"strings"
)

// Bug is an entry of the catalog of injectable bugs: a deliberately broken
// variant of a protocol, modelled on a bug that happened in a real system,
// switched on by name (simrun run --bug NAME). The catalog is how consim
// shows that its checkers catch what they claim to: a test runs every entry
// within its seed budget and requires a detection by an expected checker.
type Bug struct {
	// Name is the catalog name, unique.
	Name string
	// Protocol is the protocol the bug breaks, with the features it needs
	// ("raft", "raft+checkquorum+readindex+lease"): it can be switched on
	// in that protocol with any further features (see RunsOn).
	Protocol string
	// Origin names the real system and the report the bug is modelled on.
	Origin string
	// Description says what the broken variant does wrong.
	Description string
	// CaughtBy lists the invariants (checker.Invariant* names) expected to
	// catch it; the first violation of a detecting run must be one of them.
	CaughtBy []string
	// Scenarios are where the bug is hunted, most telling first.
	Scenarios []string
	// Budget is the number of seeds of Scenarios[0] within which the
	// catalog test requires a detection.
	Budget int
	// enable switches the bug on in the run's options.
	enable func(o *Options)
}

// catalog is every injectable bug, in report order. Entries register
// themselves from the files that define them (bugs_raft.go, ...).
var catalog []Bug

// registerBugs adds entries to the catalog; it panics on a duplicate name,
// which is our bug.
func registerBugs(bugs ...Bug) {
	for _, b := range bugs {
		if slices.ContainsFunc(catalog, func(c Bug) bool { return c.Name == b.Name }) {
			panic(fmt.Sprintf("scenarios: bug %q registered twice", b.Name))
		}
		catalog = append(catalog, b)
	}
	// init order follows file names; the report follows protocol order.
	slices.SortStableFunc(catalog, func(a, b Bug) int { return ProtocolRank(a.Protocol) - ProtocolRank(b.Protocol) })
}

// Bugs returns the catalog.
func Bugs() []Bug { return slices.Clone(catalog) }

// BugNames lists the catalog's names.
func BugNames() []string {
	names := make([]string, len(catalog))
	for i, b := range catalog {
		names[i] = b.Name
	}
	return names
}

// Baseline reports whether the bug's protocol is a baseline without a
// correct variant (see Protocol.Baseline).
func (b Bug) Baseline() bool {
	p, err := LookupProtocol(b.Protocol)
	return err == nil && p.Baseline
}

// LookupBug finds a catalog entry by name.
func LookupBug(name string) (Bug, error) {
	for _, b := range catalog {
		if b.Name == name {
			return b, nil
		}
	}
	return Bug{}, fmt.Errorf("unknown bug %q (known: %s)", name, strings.Join(BugNames(), ", "))
}

// RunsOn says whether the bug can be switched on in protocol: the same
// base protocol as the bug's, with at least the features the bug's
// protocol names (a raft bug runs on raft+prevote; a bug of
// raft+checkquorum+readindex+lease does not run on raft). Names are
// compared canonically, so the order of the features does not matter.
func (b Bug) RunsOn(protocol string) error {
	want, err := LookupProtocol(b.Protocol)
	if err != nil {
		return fmt.Errorf("bug %q: %w", b.Name, err)
	}
	got, err := LookupProtocol(protocol)
	if err != nil {
		return err
	}
	ok := BaseProtocol(got.Name) == BaseProtocol(want.Name)
	for _, f := range want.On {
		ok = ok && slices.Contains(got.On, f)
	}
	if !ok {
		return fmt.Errorf("bug %q breaks %s, not %s (run it with --protocol %s)", b.Name, want.Name, got.Name, want.Name)
	}
	return nil
}

// applyBug switches on o.Bug, checking that it breaks o.Protocol.
func applyBug(o *Options) error {
	if o.Bug == "" {
		return nil
	}
	b, err := LookupBug(o.Bug)
	if err != nil {
		return err
	}
	if err := b.RunsOn(o.Protocol); err != nil {
		return err
	}
	if b.enable != nil {
		b.enable(o)
	}
	return nil
}
