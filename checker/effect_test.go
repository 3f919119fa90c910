package checker

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/consim/consim/nodes"
)

const millis = time.Millisecond

var testTiming = EffectTiming{ElectionTimeout: 150 * millis, Slack: 30 * millis, MaxLag: 64}

// calmState is a state of five servers, all up and connected, at at.
func calmState(at time.Duration) WorldState {
	s := WorldState{At: at, Up: make([]bool, 5), Paused: make([]bool, 5), Drifted: make([]bool, 5), Linked: make([][]bool, 5)}
	for i := range 5 {
		s.Up[i] = true
		s.Linked[i] = []bool{true, true, true, true, true}
	}
	return s
}

// isolated is calmState with id cut off from the others both ways.
func isolated(at time.Duration, id nodes.ID) WorldState {
	s := calmState(at)
	for i := range 5 {
		if i != int(id-1) {
			s.Linked[id-1][i], s.Linked[i][id-1] = false, false
		}
	}
	return s
}

// hearing is isolated(at, 1) but for n1 and peer, who hear each other.
func hearing(at time.Duration, peer nodes.ID) WorldState {
	s := isolated(at, 1)
	s.Linked[0][peer-1], s.Linked[peer-1][0] = true, true
	return s
}

func invariants(vs []Violation) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.Invariant)
	}
	return out
}

func TestCheckTransferEffect(t *testing.T) {
	request := TransferRequest{At: time.Second, From: 1, To: 2, Led: true, Handled: true}
	calm := Timeline{States: []WorldState{calmState(0)}, End: 3 * time.Second}
	led := []RoleEvent{{At: 0, Node: 1, Role: nodes.RoleLeader, Epoch: 1}}
	expired := []TransferExpiry{{At: time.Second + 150*millis, Node: 1, To: 2, Term: 1, Reason: "timed-out"}}
	handedOver := append(led, RoleEvent{At: time.Second + 5*millis, Node: 2, Role: nodes.RoleCandidate, Epoch: 2},
		RoleEvent{At: time.Second + 8*millis, Node: 2, Role: nodes.RoleLeader, Epoch: 2})
	steppedDown := []TransferExpiry{{At: time.Second + 9*millis, Node: 1, To: 2, Term: 1, Reason: "stepped-down", TimeoutNowSent: true}}
	cases := []struct {
		name string
		in   TransferInput
		want []string
	}{
		{"target leads at once", TransferInput{Requests: []TransferRequest{request}, Expiries: steppedDown, ExpectExpiries: true, Roles: handedOver, Timeline: calm, Timing: testTiming}, nil},
		{"target never leads in a calm world", TransferInput{Requests: []TransferRequest{request}, Expiries: expired, ExpectExpiries: true, Roles: led, Timeline: calm, Timing: testTiming},
			[]string{InvariantTransferEffect}},
		{"target cut off: expiry excused", TransferInput{Requests: []TransferRequest{request}, Expiries: expired, ExpectExpiries: true, Roles: led,
			Timeline: Timeline{States: []WorldState{calmState(0), isolated(900*millis, 2)}, End: 3 * time.Second}, Timing: testTiming}, nil},
		{"lossy network: expiry excused", TransferInput{Requests: []TransferRequest{request}, Expiries: expired, ExpectExpiries: true, Roles: led,
			Timeline: Timeline{States: []WorldState{func() WorldState { s := calmState(0); s.Lossy = true; return s }()}, End: 3 * time.Second}, Timing: testTiming}, nil},
		{"leader lost leadership: excused", TransferInput{Requests: []TransferRequest{request}, Expiries: expired, ExpectExpiries: true,
			Roles: append(led, RoleEvent{At: time.Second + 50*millis, Node: 1, Role: nodes.RoleFollower, Epoch: 3}), Timeline: calm, Timing: testTiming}, nil},
		{"target far behind: excused", TransferInput{Requests: []TransferRequest{{At: time.Second, From: 1, To: 2, Led: true, Handled: true, Lag: 500}},
			Expiries: expired, ExpectExpiries: true, Roles: led, Timeline: calm, Timing: testTiming}, nil},
		{"attempt never recorded", TransferInput{Requests: []TransferRequest{request}, ExpectExpiries: true, Roles: led,
			Timeline: Timeline{States: []WorldState{calmState(0), isolated(900*millis, 2)}, End: 3 * time.Second}, Timing: testTiming},
			[]string{InvariantTransferEffect}},
		{"no expiry facts expected (etcd), target cut off", TransferInput{Requests: []TransferRequest{request}, Roles: led,
			Timeline: Timeline{States: []WorldState{calmState(0), isolated(900*millis, 2)}, End: 3 * time.Second}, Timing: testTiming}, nil},
		{"request to a server that did not lead is ignored", TransferInput{Requests: []TransferRequest{{At: time.Second, From: 1, To: 2, Handled: true}},
			ExpectExpiries: true, Timeline: calm, Timing: testTiming}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.want, invariants(CheckTransferEffect(c.in)))
		})
	}
}

func TestCheckPreVoteEffect(t *testing.T) {
	led := []RoleEvent{{At: 100 * millis, Node: 1, Role: nodes.RoleLeader, Epoch: 2}}
	flapping := Timeline{States: []WorldState{calmState(0), isolated(time.Second, 5), calmState(1500 * millis)}, End: 3 * time.Second}
	base := []TermEvent{{At: 0, Node: 1, Term: 1}, {At: 90 * millis, Node: 1, Term: 2}, {At: 95 * millis, Node: 5, Term: 2}}
	cases := []struct {
		name string
		in   PreVoteInput
		want []string
	}{
		{"terms stay while a node flaps", PreVoteInput{Terms: base, Roles: led, Timeline: flapping, Timing: testTiming}, nil},
		{"cut-off node raises its term", PreVoteInput{Terms: append(base, TermEvent{At: 1300 * millis, Node: 5, Term: 3}), Roles: led, Timeline: flapping, Timing: testTiming},
			[]string{InvariantPreVoteEffect}},
		{"rejoined node raises the term after the settle time", PreVoteInput{Terms: append(base, TermEvent{At: 1800 * millis, Node: 5, Term: 3}), Roles: led, Timeline: flapping, Timing: testTiming},
			[]string{InvariantPreVoteEffect}},
		{"term raised during the settle time is not judged", PreVoteInput{Terms: append(base, TermEvent{At: 1510 * millis, Node: 5, Term: 3}), Roles: led, Timeline: flapping, Timing: testTiming}, nil},
		{"a transfer raises the term", PreVoteInput{Terms: append(base, TermEvent{At: 2010 * millis, Node: 3, Term: 3}), Roles: led,
			Transfers: []TransferRequest{{At: 2 * time.Second, From: 1, To: 3, Led: true, Handled: true}}, Timeline: flapping, Timing: testTiming}, nil},
		{"no leader: terms may rise", PreVoteInput{Terms: append(base, TermEvent{At: 1300 * millis, Node: 5, Term: 3}), Timeline: flapping, Timing: testTiming}, nil},
		{"drift excuses", PreVoteInput{Terms: append(base, TermEvent{At: 1300 * millis, Node: 5, Term: 3}), Roles: led,
			Timeline: Timeline{States: []WorldState{func() WorldState { s := isolated(0, 5); s.Drifted[4] = true; return s }()}, End: 3 * time.Second}, Timing: testTiming}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.want, invariants(CheckPreVoteEffect(c.in)))
		})
	}
}

func TestCheckCheckQuorumEffect(t *testing.T) {
	led := []RoleEvent{{At: 100 * millis, Node: 1, Role: nodes.RoleLeader, Epoch: 2}}
	cutOff := Timeline{States: []WorldState{calmState(0), isolated(time.Second, 1), calmState(2 * time.Second)}, End: 3 * time.Second}
	cases := []struct {
		name string
		in   CheckQuorumInput
		want []string
	}{
		{"steps down within two periods", CheckQuorumInput{Roles: append(led, RoleEvent{At: 1290 * millis, Node: 1, Role: nodes.RoleFollower, Epoch: 2}), Timeline: cutOff, Timing: testTiming}, nil},
		{"crashes instead", CheckQuorumInput{Roles: append(led, RoleEvent{At: 1100 * millis, Node: 1}), Timeline: cutOff, Timing: testTiming}, nil},
		{"never steps down", CheckQuorumInput{Roles: led, Timeline: cutOff, Timing: testTiming}, []string{InvariantCheckQuorumEffect}},
		{"steps down too late", CheckQuorumInput{Roles: append(led, RoleEvent{At: 1400 * millis, Node: 1, Role: nodes.RoleFollower, Epoch: 2}), Timeline: cutOff, Timing: testTiming},
			[]string{InvariantCheckQuorumEffect}},
		{"cut off shorter than the bound", CheckQuorumInput{Roles: led,
			Timeline: Timeline{States: []WorldState{calmState(0), isolated(time.Second, 1), calmState(1300 * millis)}, End: 3 * time.Second}, Timing: testTiming}, nil},
		{"paused leader is excused", CheckQuorumInput{Roles: led,
			Timeline: Timeline{States: []WorldState{calmState(0), func() WorldState { s := isolated(time.Second, 1); s.Paused[0] = true; return s }(), calmState(2 * time.Second)}, End: 3 * time.Second}, Timing: testTiming}, nil},
		{"answers in turn from a changing majority (regression: swarm-v2 seed 43)", CheckQuorumInput{Roles: led,
			Timeline: Timeline{States: []WorldState{calmState(0), hearing(time.Second, 2), hearing(1100*millis, 3), hearing(1200*millis, 2),
				hearing(1300*millis, 3), calmState(1500 * millis)}, End: 3 * time.Second}, Timing: testTiming}, nil},
		{"a transfer request restarts the stretch", CheckQuorumInput{Roles: append(led, RoleEvent{At: 1500 * millis, Node: 1, Role: nodes.RoleFollower, Epoch: 2}),
			Transfers: []TransferRequest{{At: 1200 * millis, From: 1, To: 2, Led: true, Handled: true}}, Timeline: cutOff, Timing: testTiming}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.want, invariants(CheckCheckQuorumEffect(c.in)))
		})
	}
}

func TestCheckSnapshotBounded(t *testing.T) {
	bound := SnapshotBound{Every: 128, SlackRecords: 64}
	cases := []struct {
		name    string
		samples []StorageSample
		want    []string
	}{
		{"compacted", []StorageSample{{At: time.Second, Node: 1, Records: 40, SnapIndex: 512, LastIndex: 600, Commit: 600}}, nil},
		{"no snapshot yet, short log", []StorageSample{{At: time.Second, Node: 1, Records: 70, LastIndex: 100, Commit: 100}}, nil},
		{"long uncommitted tail is not the snapshot's to bound", []StorageSample{{At: time.Second, Node: 1, Records: 300, SnapIndex: 512, LastIndex: 1000, Commit: 520}}, nil},
		{"committed entries never compacted", []StorageSample{{At: time.Second, Node: 1, Records: 3, SnapIndex: 0, LastIndex: 900, Commit: 900}}, []string{InvariantSnapshotBounded}},
		{"records never rewritten", []StorageSample{{At: time.Second, Node: 2, Records: 900, SnapIndex: 768, LastIndex: 800, Commit: 800}}, []string{InvariantSnapshotBounded}},
		{"one violation per server", []StorageSample{{At: time.Second, Node: 2, Records: 900, SnapIndex: 768, LastIndex: 800, Commit: 800},
			{At: 2 * time.Second, Node: 2, Records: 1900, SnapIndex: 1768, LastIndex: 1800, Commit: 1800}}, []string{InvariantSnapshotBounded}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.want, invariants(CheckSnapshotBounded(c.samples, bound)))
		})
	}
}
