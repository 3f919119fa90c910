package paxos

import (
	"fmt"
	"strings"

	"github.com/consim/consim/nodes/kv"
)

// The messages of Multi-Paxos, all one-way. Requests (Prepare, Accept,
// Heartbeat, Learn) carry the sender's ballot; the answers carry the ballot
// they answer (Promise, Accepted, Progress) or reject (Nack). The sender is
// the nodes.ID the message came from.
//
// Messages are values that nobody mutates after Send: the network may
// deliver one twice. Every slice a message carries is allocated for it (or
// for the one broadcast it belongs to) and never written to again.

// Prepare is phase 1a: the sender asks every acceptor to promise Ballot and
// to report what it accepted at slots From and above, From being the first
// slot the sender has not learned.
type Prepare struct {
	Ballot Ballot
	From   uint64
}

// Promise is phase 1b: the acceptor promised Ballot. Entries report, in
// increasing slot order, what it knows at slots From and above: the value it
// learned as chosen (Chosen), or else the proposal it accepted with the
// highest ballot. Slots it knows nothing of are left out.
type Promise struct {
	Ballot  Ballot
	From    uint64
	Entries []PromiseEntry
}

// PromiseEntry is what an acceptor knows of one slot.
type PromiseEntry struct {
	Slot uint64
	// Chosen says that Cmd is the slot's chosen value (the acceptor learned
	// it); Ballot is then zero. Otherwise (Ballot, Cmd) is the accepted
	// proposal with the highest ballot.
	Chosen bool
	Ballot Ballot
	Cmd    kv.Command
}

// Nack rejects a request whose Ballot is below the acceptor's promise,
// Promised, so that a stale proposer steps down and later picks a higher
// round.
type Nack struct {
	Ballot   Ballot
	Promised Ballot
}

// Accept is phase 2a for consecutive slots: the leader of Ballot proposes
// Cmds[k] at slot Slot+k. Chosen is the leader's chosen prefix: it has
// learned every slot up to Chosen.
type Accept struct {
	Ballot Ballot
	Slot   uint64
	Cmds   []kv.Command
	Chosen uint64
}

// Accepted is phase 2b: the acceptor accepted the proposals of Ballot at
// slots Slot..Slot+Count-1.
type Accepted struct {
	Ballot Ballot
	Slot   uint64
	Count  uint64
}

// Heartbeat tells the followers that the leader of Ballot is alive and has
// learned every slot up to Chosen.
type Heartbeat struct {
	Ballot Ballot
	Chosen uint64
}

// Learn hands a follower chosen values it is missing: Cmds[k] was chosen at
// slot Slot+k. It is the leader's catch-up for a replica that missed slots
// or restarted.
type Learn struct {
	Ballot Ballot
	Slot   uint64
	Cmds   []kv.Command
}

// Progress answers a Heartbeat or a Learn of Ballot: the follower has
// learned every slot up to Learned, so the leader can send what follows.
type Progress struct {
	Ballot  Ballot
	Learned uint64
}

func (Prepare) Kind() string   { return "paxos.prepare" }
func (Promise) Kind() string   { return "paxos.promise" }
func (Nack) Kind() string      { return "paxos.nack" }
func (Accept) Kind() string    { return "paxos.accept" }
func (Accepted) Kind() string  { return "paxos.accepted" }
func (Heartbeat) Kind() string { return "paxos.heartbeat" }
func (Learn) Kind() string     { return "paxos.learn" }
func (Progress) Kind() string  { return "paxos.progress" }

// maxShown bounds how many values a message's String prints.
const maxShown = 4

func (m Prepare) String() string { return fmt.Sprintf("prepare %v from=%d", m.Ballot, m.From) }

func (m Promise) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "promise %v from=%d entries=%d", m.Ballot, m.From, len(m.Entries))
	for i, e := range m.Entries[:min(len(m.Entries), maxShown)] {
		if i == 0 {
			b.WriteString(" [")
		} else {
			b.WriteString(" ")
		}
		b.WriteString(e.String())
	}
	if len(m.Entries) > 0 {
		if len(m.Entries) > maxShown {
			b.WriteString(" ...")
		}
		b.WriteString("]")
	}
	return b.String()
}

func (e PromiseEntry) String() string {
	if e.Chosen {
		return fmt.Sprintf("%d:chosen:%v", e.Slot, e.Cmd)
	}
	return fmt.Sprintf("%d:%v:%v", e.Slot, e.Ballot, e.Cmd)
}

func (m Nack) String() string { return fmt.Sprintf("nack %v promised=%v", m.Ballot, m.Promised) }

func (m Accept) String() string {
	return fmt.Sprintf("accept %v slot=%d chosen=%d %s", m.Ballot, m.Slot, m.Chosen, showCmds(m.Cmds))
}

func (m Accepted) String() string {
	return fmt.Sprintf("accepted %v slots=%d..%d", m.Ballot, m.Slot, m.Slot+m.Count-1)
}

func (m Heartbeat) String() string { return fmt.Sprintf("heartbeat %v chosen=%d", m.Ballot, m.Chosen) }

func (m Learn) String() string {
	return fmt.Sprintf("learn %v slot=%d %s", m.Ballot, m.Slot, showCmds(m.Cmds))
}

func (m Progress) String() string { return fmt.Sprintf("progress %v learned=%d", m.Ballot, m.Learned) }

func showCmds(cmds []kv.Command) string {
	shown := fmt.Sprint(cmds[:min(len(cmds), maxShown)])
	if len(cmds) > maxShown {
		shown = shown[:len(shown)-1] + " ...]"
	}
	return fmt.Sprintf("cmds=%d %s", len(cmds), shown)
}
