package explain

import (
	"slices"

	"github.com/consim/consim/sim"
)

// message is one copy of a message on the network: from the record that
// put it there (a send, or the duplicate record of a duplicated send) to
// the record that ended its flight (a deliver or a drop), if any.
type message struct {
	// send is the index of the send (or duplicate) record.
	send int
	// end is the index of the deliver or drop record, or -1 when the
	// trace ends with the copy still in flight.
	end      int
	from, to int
	// detail is the message as the send record printed it.
	detail string
	// digest is the send record's digest: a hash of the message kind,
	// which is what drop records carry to name the message.
	digest uint64
	// dropped says the flight ended in a drop record; why is its reason.
	dropped bool
	why     string
	// duplicate says this is the network's second copy of a send.
	duplicate bool
}

// immediate reports whether the copy was dropped as it was sent (a cut
// link or a loss draw): the drop record follows its send at once.
func (m *message) immediate() bool { return m.dropped && m.end == m.send+1 }

// contentKey pairs a delivery with its send: a deliver record carries the
// same endpoints and printed message as the send.
type contentKey struct {
	from, to int
	detail   string
}

// kindKey pairs a drop with its send: a drop record carries the endpoints
// and the digest of the message kind, and the reason in its detail.
type kindKey struct {
	from, to int
	digest   uint64
}

// pairMessages follows every message copy of the trace from send to
// deliver or drop. A deliver ends the oldest copy in flight with the same
// endpoints and content (first in, first out: the network may reorder
// equal messages, but equal messages look the same); a drop right after its
// send ends that send; any other drop ends the oldest copy in flight with
// the same endpoints and kind. A duplicate record adds a second copy, so a
// duplicated message may be delivered twice. The copies are in send order.
func pairMessages(trace []sim.Record) []*message {
	var messages []*message
	byContent := map[contentKey][]*message{}
	byKind := map[kindKey][]*message{}
	for i, r := range trace {
		switch r.Kind {
		case sim.KindSend, sim.KindDuplicate:
			m := &message{send: i, end: -1, from: r.From, to: r.To, detail: r.Detail, digest: r.Digest, duplicate: r.Kind == sim.KindDuplicate}
			messages = append(messages, m)
			ck, kk := contentKey{r.From, r.To, r.Detail}, kindKey{r.From, r.To, r.Digest}
			byContent[ck] = append(byContent[ck], m)
			byKind[kk] = append(byKind[kk], m)
		case sim.KindDeliver:
			ck := contentKey{r.From, r.To, r.Detail}
			if m := oldestInFlight(byContent, ck); m != nil {
				m.end = i
			}
		case sim.KindDrop:
			m := justSent(trace, messages, i)
			if m == nil {
				m = oldestInFlight(byKind, kindKey{r.From, r.To, r.Digest})
			}
			if m != nil {
				m.end, m.dropped, m.why = i, true, r.Detail
			}
		}
	}
	return messages
}

// sendTimeDrops are the reasons network.Send notes when it drops a copy as
// it is sent (a cut link, a loss draw), right after the send record. Other
// drops happen when a copy arrives ("partitioned in flight", "destination
// down"), and may follow an unrelated send of the same kind on the same
// link.
var sendTimeDrops = []string{"partitioned", "lost"}

// justSent is the copy the drop record at i ends when it is a send-time
// drop that directly follows that copy's send, or nil.
func justSent(trace []sim.Record, messages []*message, i int) *message {
	if i == 0 || len(messages) == 0 || !slices.Contains(sendTimeDrops, trace[i].Detail) {
		return nil
	}
	m, prev, drop := messages[len(messages)-1], trace[i-1], trace[i]
	if m.send != i-1 || m.end != -1 || prev.Kind != sim.KindSend || prev.At != drop.At {
		return nil
	}
	if prev.From != drop.From || prev.To != drop.To || prev.Digest != drop.Digest {
		return nil
	}
	return m
}

// oldestInFlight removes and returns the first copy of queues[key] still in
// flight (copies ended through the other index are skipped), or nil.
func oldestInFlight[K comparable](queues map[K][]*message, key K) *message {
	q := queues[key]
	for len(q) > 0 && q[0].end != -1 {
		q = q[1:]
	}
	if len(q) == 0 {
		delete(queues, key)
		return nil
	}
	m := q[0]
	queues[key] = q[1:]
	return m
}
