package paxos

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/consim/consim/nodes"
	"github.com/consim/consim/nodes/kv"
)

// A node's Storage holds a write-ahead log of records. Each record is
//
//	kind:byte body crc:uint32 (little-endian IEEE CRC-32 of kind and body)
//
// with three kinds of body (numbers are unsigned varints, kv.AppendUvarint;
// a command is encoded by kv.AppendCommand):
//
//	recordPromise: round node
//	recordAccept:  round node first count {command}*count
//	recordLearn:   first count {command}*count
//
// A recordPromise says "the acceptor has promised ballot (round, node)"; the
// promise never decreases along the records. A recordAccept says "the
// acceptor accepted the proposal of ballot (round, node) with command k at
// slot first+k", replacing what it had accepted there. A recordLearn says
// "command k was chosen at slot first+k". They mean exactly what a
// PromiseFact, AcceptFacts and LearnFacts report.
//
// Replay applies the records in order. A record that fails its checksum or
// does not decode is a torn write if it is the last one, and is dropped; a
// bad record anywhere else is a corrupt disk: the node halts (nodes.Halt). A compacted disk
// (Storage.Replace) is one recordPromise followed by the learned values and
// the accepted proposals of the slots not learned (see snapshot).

const (
	recordPromise byte = 1
	recordAccept  byte = 2
	recordLearn   byte = 3
)

// crcSize is the length of a record's checksum trailer.
const crcSize = nodes.RecordChecksumSize

// errCorruptRecord reports a record that cannot be replayed.
var errCorruptRecord = errors.New("paxos: corrupt storage record")

func encodePromise(b Ballot) []byte {
	buf := make([]byte, 0, 1+2*binary.MaxVarintLen64+crcSize)
	buf = append(buf, recordPromise)
	buf = appendBallot(buf, b)
	return seal(buf)
}

func encodeAccept(b Ballot, first uint64, cmds []kv.Command) []byte {
	buf := make([]byte, 0, 1+4*binary.MaxVarintLen64+len(cmds)*24+crcSize)
	buf = append(buf, recordAccept)
	buf = appendBallot(buf, b)
	buf = appendCmds(buf, first, cmds)
	return seal(buf)
}

func encodeLearn(first uint64, cmds []kv.Command) []byte {
	buf := make([]byte, 0, 1+2*binary.MaxVarintLen64+len(cmds)*24+crcSize)
	buf = append(buf, recordLearn)
	buf = appendCmds(buf, first, cmds)
	return seal(buf)
}

func appendBallot(buf []byte, b Ballot) []byte {
	buf = kv.AppendUvarint(buf, b.Round)
	return kv.AppendUvarint(buf, uint64(b.Node))
}

func appendCmds(buf []byte, first uint64, cmds []kv.Command) []byte {
	buf = kv.AppendUvarint(buf, first)
	buf = kv.AppendUvarint(buf, uint64(len(cmds)))
	for _, c := range cmds {
		buf = kv.AppendCommand(buf, c)
	}
	return buf
}

// seal appends the checksum of buf.
func seal(buf []byte) []byte { return nodes.SealRecord(buf) }

// unseal checks a record's checksum and returns its kind and body.
func unseal(rec []byte) (byte, []byte, error) {
	kind, body, ok := nodes.UnsealRecord(rec)
	if !ok {
		return 0, nil, errCorruptRecord
	}
	return kind, body, nil
}

// durableState is what replaying a node's records recovers.
type durableState struct {
	promised Ballot
	// slots holds the accepted proposals and learned values; slot s is
	// slots[s-1]. Only the durable fields of slot are set.
	slots []slot
	// torn is whether the last record was torn and dropped; the disk then
	// needs rewriting before anything is appended after it.
	torn bool
}

// replay rebuilds the durable state from records.
func replay(records [][]byte) durableState {
	var d durableState
	for i, rec := range records {
		err := d.apply(rec)
		if err == nil {
			continue
		}
		if i != len(records)-1 {
			// Not a torn tail: a synced record went bad. Acting on the
			// rest could forget a promise or an acceptance, so the node
			// refuses its disk and stops (fail-stop).
			nodes.Halt(nodes.CorruptStorage{Record: i, Reason: fmt.Sprintf("paxos: record %d of %d: %v", i, len(records), err)})
		}
		d.torn = true
	}
	return d
}

// apply replays one record onto d; on error d is unchanged.
func (d *durableState) apply(rec []byte) error {
	kind, body, err := unseal(rec)
	if err != nil {
		return err
	}
	switch kind {
	case recordPromise:
		return d.applyPromise(body)
	case recordAccept:
		return d.applyAccept(body)
	case recordLearn:
		return d.applyLearn(body)
	}
	return fmt.Errorf("%w: unknown kind %d", errCorruptRecord, kind)
}

func (d *durableState) applyPromise(body []byte) error {
	b, body, err := readBallot(body)
	if err != nil {
		return err
	}
	if len(body) != 0 {
		return fmt.Errorf("%w: %d trailing bytes in promise", errCorruptRecord, len(body))
	}
	if b.Less(d.promised) {
		return fmt.Errorf("%w: promise %v after promise %v", errCorruptRecord, b, d.promised)
	}
	d.promised = b
	return nil
}

func (d *durableState) applyAccept(body []byte) error {
	b, body, err := readBallot(body)
	if err != nil {
		return err
	}
	first, cmds, err := decodeCmds(body)
	if err != nil {
		return err
	}
	if b.IsZero() {
		return fmt.Errorf("%w: accept of the zero ballot", errCorruptRecord)
	}
	for k, c := range cmds {
		sl := d.slot(first + uint64(k))
		sl.acceptedBallot, sl.accepted = b, c
	}
	return nil
}

func (d *durableState) applyLearn(body []byte) error {
	first, cmds, err := decodeCmds(body)
	if err != nil {
		return err
	}
	for k, c := range cmds {
		sl := d.slot(first + uint64(k))
		if !sl.chosen {
			sl.chosen, sl.value = true, c
		}
	}
	return nil
}

// slot returns slot s (>= 1), growing the slots as needed.
func (d *durableState) slot(s uint64) *slot {
	for uint64(len(d.slots)) < s {
		d.slots = append(d.slots, slot{})
	}
	return &d.slots[s-1]
}

func readBallot(body []byte) (Ballot, []byte, error) {
	var b Ballot
	round, body, err := kv.ReadUvarint(body)
	if err != nil {
		return b, nil, err
	}
	node, body, err := kv.ReadUvarint(body)
	if err != nil {
		return b, nil, err
	}
	return Ballot{Round: round, Node: nodes.ID(node)}, body, nil
}

// decodeCmds decodes "first count {command}*count", which must fill body.
func decodeCmds(body []byte) (uint64, []kv.Command, error) {
	first, body, err := kv.ReadUvarint(body)
	if err != nil {
		return 0, nil, err
	}
	count, body, err := kv.ReadUvarint(body)
	if err != nil {
		return 0, nil, err
	}
	if first == 0 {
		return 0, nil, fmt.Errorf("%w: slot 0", errCorruptRecord)
	}
	if count > uint64(len(body)) { // every command takes at least one byte
		return 0, nil, fmt.Errorf("%w: %d commands in %d bytes", errCorruptRecord, count, len(body))
	}
	cmds := make([]kv.Command, count)
	for i := range cmds {
		if cmds[i], body, err = kv.DecodeCommand(body); err != nil {
			return 0, nil, err
		}
	}
	if len(body) != 0 {
		return 0, nil, fmt.Errorf("%w: %d trailing bytes", errCorruptRecord, len(body))
	}
	return first, cmds, nil
}

// snapshot returns the records of a compacted disk: the promise, then runs
// of learned values and of accepted proposals of one ballot. An accepted
// proposal at a learned slot is left out: the learned value supersedes it
// (a Promise reports the slot as chosen).
func snapshot(promised Ballot, slots []slot) [][]byte {
	records := [][]byte{encodePromise(promised)}
	for i := 0; i < len(slots); {
		sl := slots[i]
		j := i + 1
		switch {
		case sl.chosen:
			for j < len(slots) && slots[j].chosen {
				j++
			}
			cmds := make([]kv.Command, j-i)
			for k := range cmds {
				cmds[k] = slots[i+k].value
			}
			records = append(records, encodeLearn(uint64(i+1), cmds))
		case !sl.acceptedBallot.IsZero():
			for j < len(slots) && !slots[j].chosen && slots[j].acceptedBallot == sl.acceptedBallot {
				j++
			}
			cmds := make([]kv.Command, j-i)
			for k := range cmds {
				cmds[k] = slots[i+k].accepted
			}
			records = append(records, encodeAccept(sl.acceptedBallot, uint64(i+1), cmds))
		}
		i = j
	}
	return records
}
