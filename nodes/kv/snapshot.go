package kv

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/consim/consim/nodes"
	"github.com/consim/consim/sim"
)

// A snapshot (Raft §7) encodes the whole state machine, the session table
// included, so that a replica restored from it deduplicates retries exactly
// as the replica that took it:
//
//	version:byte
//	count {key value}*count             keys in strictly increasing order
//	count {client seq value ok:byte}*count  clients in strictly increasing order
//
// with numbers as unsigned varints (AppendUvarint) and strings as a varint
// length and the bytes. Keys and clients are sorted, so two equal states have
// byte-identical snapshots whatever the map order.

// snapshotVersion is the first byte of every snapshot.
const snapshotVersion byte = 1

// Snapshot encodes the state machine (data and sessions) canonically.
func (s *StateMachine) Snapshot() []byte {
	keys := make([]string, 0, len(s.data))
	size := 1 + 2*10
	for k, v := range s.data {
		keys = append(keys, k)
		size += len(k) + len(v) + 4
	}
	slices.Sort(keys)
	clients := s.sortedClients()
	buf := make([]byte, 0, size+len(clients)*16)
	buf = append(buf, snapshotVersion)
	buf = appendUvarint(buf, uint64(len(keys)))
	for _, k := range keys {
		buf = appendString(buf, k)
		buf = appendString(buf, s.data[k])
	}
	buf = appendUvarint(buf, uint64(len(clients)))
	for _, c := range clients {
		sess := s.sessions[c]
		buf = appendUvarint(buf, uint64(c))
		buf = appendUvarint(buf, sess.seq)
		buf = appendString(buf, sess.result.Value)
		buf = append(buf, boolByte(sess.result.OK))
	}
	return buf
}

func (s *StateMachine) sortedClients() []nodes.ID {
	clients := make([]nodes.ID, 0, len(s.sessions))
	for c := range s.sessions {
		clients = append(clients, c)
	}
	slices.Sort(clients)
	return clients
}

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}

// RestoreStateMachine rebuilds a state machine from a Snapshot. It rejects,
// with an error wrapping ErrCorrupt, anything Snapshot cannot have produced:
// an unknown version, a truncated or overlong encoding, keys or clients out
// of order or repeated, client 0, a session of sequence number 0, an OK
// flag other than 0 or 1, or a non-canonical varint.
func RestoreStateMachine(buf []byte) (*StateMachine, error) {
	s, err := decodeSnapshot(buf)
	if err != nil {
		return nil, err
	}
	// What is left, such as a varint with redundant bytes, would give the
	// same state another encoding.
	if !bytes.Equal(s.Snapshot(), buf) {
		return nil, fmt.Errorf("%w: non-canonical snapshot encoding", ErrCorrupt)
	}
	return s, nil
}

func decodeSnapshot(buf []byte) (*StateMachine, error) {
	if len(buf) == 0 || buf[0] != snapshotVersion {
		return nil, fmt.Errorf("%w: snapshot version", ErrCorrupt)
	}
	buf = buf[1:]
	s := NewStateMachine()
	count, buf, err := readCount(buf)
	if err != nil {
		return nil, err
	}
	var prev string
	for i := range count {
		var k, v string
		if k, buf, err = readString(buf); err != nil {
			return nil, err
		}
		if v, buf, err = readString(buf); err != nil {
			return nil, err
		}
		if i > 0 && k <= prev {
			return nil, fmt.Errorf("%w: snapshot key %q after %q", ErrCorrupt, k, prev)
		}
		s.data[k], prev = v, k
	}
	if count, buf, err = readCount(buf); err != nil {
		return nil, err
	}
	var prevClient uint64
	for range count {
		var client, seq uint64
		var sess session
		if client, buf, err = readUvarint(buf); err != nil {
			return nil, err
		}
		if seq, buf, err = readUvarint(buf); err != nil {
			return nil, err
		}
		if sess.result.Value, buf, err = readString(buf); err != nil {
			return nil, err
		}
		if len(buf) == 0 || buf[0] > 1 {
			return nil, fmt.Errorf("%w: snapshot session flag", ErrCorrupt)
		}
		sess.result.OK, buf = buf[0] == 1, buf[1:]
		if client <= prevClient || seq == 0 {
			return nil, fmt.Errorf("%w: snapshot session c%d#%d after c%d", ErrCorrupt, client, seq, prevClient)
		}
		sess.seq = seq
		s.sessions[nodes.ID(client)], prevClient = sess, client
	}
	if len(buf) != 0 {
		return nil, fmt.Errorf("%w: %d trailing bytes in snapshot", ErrCorrupt, len(buf))
	}
	return s, nil
}

// readCount reads a count of items that take at least two bytes each.
func readCount(buf []byte) (uint64, []byte, error) {
	n, buf, err := readUvarint(buf)
	if err != nil {
		return 0, nil, err
	}
	if n > uint64(len(buf))/2 {
		return 0, nil, fmt.Errorf("%w: %d snapshot items in %d bytes", ErrCorrupt, n, len(buf))
	}
	return n, buf, nil
}

// Digest is a 64-bit digest of the whole state, sessions included: equal
// states have equal digests, whatever order they were built in.
func (s *StateMachine) Digest() uint64 {
	keys := make([]string, 0, len(s.data))
	for k := range s.data {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	d := sim.HashString("kv state")
	d = sim.MixDigest(d, uint64(len(keys)))
	for _, k := range keys {
		d = sim.MixDigest(sim.MixDigest(d, sim.HashString(k)), sim.HashString(s.data[k]))
	}
	clients := s.sortedClients()
	d = sim.MixDigest(d, uint64(len(clients)))
	for _, c := range clients {
		sess := s.sessions[c]
		d = sim.MixDigest(sim.MixDigest(d, uint64(c)), sess.seq)
		d = sim.MixDigest(sim.MixDigest(d, sim.HashString(sess.result.Value)), uint64(boolByte(sess.result.OK)))
	}
	return d
}
