package raft

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
// with three kinds of body (numbers are unsigned varints, kv.AppendUvarint):
//
//	recordLog:       after count {term command}*count
//	recordHardState: term vote commit
//	recordSnapshot:  index term length data   (data: kv.StateMachine.Snapshot)
//
// A recordLog says "the log is now its first `after` entries followed by
// these": an append when after is the old length, a truncation and append
// when it is less, a pure truncation when count is 0; it has exactly the
// meaning of a LogFact. A recordHardState holds the whole Figure 2
// persistent state other than the log, plus the commit index (as etcd's
// HardState). A command is encoded by kv.AppendCommand. A recordSnapshot
// says "entries 1..index are now covered by this snapshot of the state
// machine after index, whose entry at index has term": the entries after
// index are kept if the log held index with that term, else the log is
// emptied (§7, Figure 13 steps 6-7); it has exactly the meaning of a
// SnapshotFact. A snapshot's index never goes backwards, and a snapshot is of
// committed entries, so it raises the recovered commit index to its index.
//
// Replay applies the records in order. A record that fails its checksum or
// does not decode is a torn write if it is the last one, and is dropped; a bad
// record anywhere else is a corrupt disk: the node halts (nodes.Halt). A
// compacted disk (Storage.Replace) is the recordSnapshot if there is a
// snapshot, one recordLog with after = the snapshot's index (0 without one)
// and one recordHardState.

const (
	recordLog       byte = 1
	recordHardState byte = 2
	recordSnapshot  byte = 3
)

// crcSize is the length of a record's checksum trailer.
const crcSize = nodes.RecordChecksumSize

// errCorruptRecord reports a record that cannot be replayed.
var errCorruptRecord = errors.New("raft: corrupt storage record")

// hardState is the durable state of Figure 2 other than the log, plus the
// commit index (persisted like etcd's HardState.Commit so that it never goes
// backwards across restarts).
type hardState struct {
	term   uint64
	vote   nodes.ID
	commit uint64
}

// encodeHardState returns hs as a new record.
func encodeHardState(hs hardState) []byte {
	return appendHardState(make([]byte, 0, hardStateRecordSize), hs)
}

// appendHardState appends hs as a record to buf (a Storage.Buffer, or any
// slice: Storage.Append copies what it did not lend).
func appendHardState(buf []byte, hs hardState) []byte {
	buf = append(buf, recordHardState)
	buf = kv.AppendUvarint(buf, hs.term)
	buf = kv.AppendUvarint(buf, uint64(hs.vote))
	buf = kv.AppendUvarint(buf, hs.commit)
	return seal(buf)
}

// hardStateRecordSize bounds the size of a hard state record.
const hardStateRecordSize = 1 + 3*binary.MaxVarintLen64 + crcSize

// logRecordSize bounds the size of the log record (after, entries).
func logRecordSize(entries []Entry) int {
	size := 1 + 2*binary.MaxVarintLen64 + crcSize
	for _, e := range entries {
		// term, op, client, seq, and three strings with their lengths
		size += 1 + 6*binary.MaxVarintLen64 + len(e.Cmd.Key) + len(e.Cmd.Value) + len(e.Cmd.Expected)
	}
	return size
}

// encodeLog returns a log record (after, entries) as a new record.
func encodeLog(after uint64, entries []Entry) []byte {
	return appendLog(make([]byte, 0, logRecordSize(entries)), after, entries)
}

// appendLog appends the log record (after, entries) to buf (a
// Storage.Buffer, or any slice: Storage.Append copies what it did not lend).
func appendLog(buf []byte, after uint64, entries []Entry) []byte {
	buf = append(buf, recordLog)
	buf = kv.AppendUvarint(buf, after)
	buf = kv.AppendUvarint(buf, uint64(len(entries)))
	for _, e := range entries {
		buf = kv.AppendUvarint(buf, e.Term)
		buf = kv.AppendCommand(buf, e.Cmd)
	}
	return seal(buf)
}

// snapshot is a snapshot of the state machine (§7): data is
// kv.StateMachine.Snapshot after applying entries 1..index, of which the
// entry at index has term.
type snapshot struct {
	index, term uint64
	data        []byte
}

// encodeSnapshot returns snap as a new record.
func encodeSnapshot(snap snapshot) []byte {
	return appendSnapshot(make([]byte, 0, snapshotRecordSize(snap)), snap)
}

// snapshotRecordSize bounds the size of snap's record.
func snapshotRecordSize(snap snapshot) int {
	return 1 + 3*binary.MaxVarintLen64 + len(snap.data) + crcSize
}

// appendSnapshot appends snap as a record to buf (a Storage.Buffer, or any
// slice: Storage.Append copies what it did not lend).
func appendSnapshot(buf []byte, snap snapshot) []byte {
	buf = append(buf, recordSnapshot)
	buf = kv.AppendUvarint(buf, snap.index)
	buf = kv.AppendUvarint(buf, snap.term)
	buf = kv.AppendUvarint(buf, uint64(len(snap.data)))
	buf = append(buf, snap.data...)
	return seal(buf)
}

func decodeSnapshot(body []byte) (snapshot, error) {
	var snap snapshot
	var size uint64
	var err error
	if snap.index, body, err = kv.ReadUvarint(body); err != nil {
		return snap, err
	}
	if snap.term, body, err = kv.ReadUvarint(body); err != nil {
		return snap, err
	}
	if size, body, err = kv.ReadUvarint(body); err != nil {
		return snap, err
	}
	if size != uint64(len(body)) {
		return snap, fmt.Errorf("%w: snapshot of %d bytes in %d", errCorruptRecord, size, len(body))
	}
	if snap.index == 0 || snap.term == 0 {
		return snap, fmt.Errorf("%w: snapshot at index %d term %d", errCorruptRecord, snap.index, snap.term)
	}
	if _, err := kv.RestoreStateMachine(body); err != nil {
		return snap, err
	}
	snap.data = body
	return snap, nil
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
	hard hardState
	log  raftLog
	// snap is the last snapshot, whose index and term are the log's
	// snapIndex and snapTerm; its data is nil without a snapshot.
	snap snapshot
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
			// rest could forget a vote or an acknowledged entry, so the
			// node refuses its disk and stops (fail-stop).
			nodes.Halt(nodes.CorruptStorage{Record: i, Reason: fmt.Sprintf("raft: record %d of %d: %v", i, len(records), err)})
		}
		d.torn = true
	}
	if d.hard.commit > d.log.lastIndex() {
		panic(fmt.Sprintf("raft: recovered commit(%d) is out of range [lastIndex(%d)]", d.hard.commit, d.log.lastIndex()))
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
	case recordHardState:
		return d.applyHardState(body)
	case recordLog:
		return d.applyLog(body)
	case recordSnapshot:
		return d.applySnapshot(body)
	}
	return fmt.Errorf("%w: unknown kind %d", errCorruptRecord, kind)
}

func (d *durableState) applyHardState(body []byte) error {
	var hs hardState
	var vote uint64
	var err error
	if hs.term, body, err = kv.ReadUvarint(body); err != nil {
		return err
	}
	if vote, body, err = kv.ReadUvarint(body); err != nil {
		return err
	}
	if hs.commit, body, err = kv.ReadUvarint(body); err != nil {
		return err
	}
	if len(body) != 0 {
		return fmt.Errorf("%w: %d trailing bytes in hard state", errCorruptRecord, len(body))
	}
	hs.vote = nodes.ID(vote)
	if hs.term < d.hard.term || hs.commit < d.hard.commit {
		return fmt.Errorf("%w: hard state term %d commit %d after term %d commit %d",
			errCorruptRecord, hs.term, hs.commit, d.hard.term, d.hard.commit)
	}
	d.hard = hs
	return nil
}

func (d *durableState) applyLog(body []byte) error {
	after, entries, err := decodeLog(body)
	if err != nil {
		return err
	}
	if after > d.log.lastIndex() || after < d.log.snapIndex {
		return fmt.Errorf("%w: log record after %d out of range [snapIndex %d, lastIndex %d]",
			errCorruptRecord, after, d.log.snapIndex, d.log.lastIndex())
	}
	prev := d.log.term(after)
	for _, e := range entries {
		if e.Term < prev {
			return fmt.Errorf("%w: log record term %d after term %d", errCorruptRecord, e.Term, prev)
		}
		prev = e.Term
	}
	d.log.truncate(after)
	d.log.append(entries...)
	return nil
}

func (d *durableState) applySnapshot(body []byte) error {
	snap, err := decodeSnapshot(body)
	if err != nil {
		return err
	}
	if snap.index < d.log.snapIndex || (snap.index == d.log.snapIndex && snap.term != d.log.snapTerm) {
		return fmt.Errorf("%w: snapshot at %d (term %d) after snapshot at %d (term %d)",
			errCorruptRecord, snap.index, snap.term, d.log.snapIndex, d.log.snapTerm)
	}
	if d.log.holds(snap.index, snap.term) {
		d.log.compact(snap.index)
	} else {
		d.log.reset(snap.index, snap.term)
	}
	d.snap = snap
	d.hard.commit = max(d.hard.commit, snap.index)
	return nil
}

func decodeLog(body []byte) (uint64, []Entry, error) {
	after, body, err := kv.ReadUvarint(body)
	if err != nil {
		return 0, nil, err
	}
	count, body, err := kv.ReadUvarint(body)
	if err != nil {
		return 0, nil, err
	}
	if count > uint64(len(body)) { // every entry takes at least one byte
		return 0, nil, fmt.Errorf("%w: %d entries in %d bytes", errCorruptRecord, count, len(body))
	}
	entries := make([]Entry, count)
	for i := range entries {
		if entries[i].Term, body, err = kv.ReadUvarint(body); err != nil {
			return 0, nil, err
		}
		if entries[i].Cmd, body, err = kv.DecodeCommand(body); err != nil {
			return 0, nil, err
		}
	}
	if len(body) != 0 {
		return 0, nil, fmt.Errorf("%w: %d trailing bytes in log record", errCorruptRecord, len(body))
	}
	return after, entries, nil
}

// compacted returns the records of a compacted disk holding hs, the
// snapshot snap (none if its data is nil) and the entries after it.
func compacted(hs hardState, snap snapshot, entries []Entry) [][]byte {
	if snap.data == nil {
		return [][]byte{encodeLog(0, entries), encodeHardState(hs)}
	}
	return [][]byte{encodeSnapshot(snap), encodeLog(snap.index, entries), encodeHardState(hs)}
}
