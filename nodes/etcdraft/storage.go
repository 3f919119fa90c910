package etcdraft

import (
	"errors"
	"fmt"
	"slices"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"

	"github.com/consim/consim/nodes"
	"github.com/consim/consim/nodes/kv"
)

// The disk holds two kinds of records, each framed by nodes.SealRecord:
//
//	'E' first:uvarint count:uvarint (term:uvarint type:uvarint len:uvarint data)*
//	    the log is now its entries before `first` followed by these entries
//	'H' term:uvarint vote:uvarint commit:uvarint
//	    the hard state
//
// A compacted disk (Storage.Replace) is one 'E' record from index 1 and one
// 'H' record.
const (
	recordEntries   byte = 'E'
	recordHardState byte = 'H'
)

// compactSlack is how many records beyond the log length the disk may hold
// before it is rewritten as one entries record and one hard state.
const compactSlack = 64

var errBadRecord = errors.New("malformed record")

// storage is a raft.MemoryStorage whose InitialState reports the static
// membership (every server a voter), so no configuration entries are needed.
type storage struct {
	*raft.MemoryStorage
	conf *pb.ConfState
}

func (s *storage) InitialState() (*pb.HardState, *pb.ConfState, error) {
	hs, _, err := s.MemoryStorage.InitialState()
	return hs, s.conf, err
}

func encodeEntries(ents []*pb.Entry) []byte {
	buf := []byte{recordEntries}
	buf = kv.AppendUvarint(buf, ents[0].GetIndex())
	buf = kv.AppendUvarint(buf, uint64(len(ents)))
	for _, e := range ents {
		buf = kv.AppendUvarint(buf, e.GetTerm())
		buf = kv.AppendUvarint(buf, uint64(e.GetType()))
		buf = kv.AppendUvarint(buf, uint64(len(e.GetData())))
		buf = append(buf, e.GetData()...)
	}
	return nodes.SealRecord(buf)
}

func encodeHardState(hs *pb.HardState) []byte {
	buf := []byte{recordHardState}
	buf = kv.AppendUvarint(buf, hs.GetTerm())
	buf = kv.AppendUvarint(buf, hs.GetVote())
	buf = kv.AppendUvarint(buf, hs.GetCommit())
	return nodes.SealRecord(buf)
}

func decodeEntries(body []byte) ([]*pb.Entry, error) {
	first, body, err := kv.ReadUvarint(body)
	if err != nil {
		return nil, err
	}
	count, body, err := kv.ReadUvarint(body)
	if err != nil || first == 0 || count > uint64(len(body)) {
		return nil, errBadRecord
	}
	ents := make([]*pb.Entry, 0, count)
	for i := range count {
		var term, typ, n uint64
		if term, body, err = kv.ReadUvarint(body); err != nil {
			return nil, err
		}
		if typ, body, err = kv.ReadUvarint(body); err != nil {
			return nil, err
		}
		if n, body, err = kv.ReadUvarint(body); err != nil {
			return nil, err
		}
		if n > uint64(len(body)) {
			return nil, errBadRecord
		}
		var data []byte
		if n > 0 {
			data = slices.Clone(body[:n])
		}
		body = body[n:]
		ents = append(ents, &pb.Entry{Term: new(term), Index: new(first + i), Type: pb.EntryType(typ).Enum(), Data: data})
	}
	if len(body) != 0 {
		return nil, errBadRecord
	}
	return ents, nil
}

func decodeHardState(body []byte) (*pb.HardState, error) {
	var term, vote, commit uint64
	var err error
	if term, body, err = kv.ReadUvarint(body); err != nil {
		return nil, err
	}
	if vote, body, err = kv.ReadUvarint(body); err != nil {
		return nil, err
	}
	if commit, body, err = kv.ReadUvarint(body); err != nil {
		return nil, err
	}
	if len(body) != 0 {
		return nil, errBadRecord
	}
	return &pb.HardState{Term: new(term), Vote: new(vote), Commit: new(commit)}, nil
}

// replay rebuilds a MemoryStorage from the disk records. A record that does
// not decode is a torn write if it is the last one (dropped; torn reports
// it, and the disk must be rewritten before anything is appended); a bad
// record anywhere else halts the node.
func replay(records [][]byte) (ms *raft.MemoryStorage, torn bool) {
	ms = raft.NewMemoryStorage()
	for i, rec := range records {
		err := replayOne(ms, rec)
		if err == nil {
			continue
		}
		if i != len(records)-1 {
			nodes.Halt(nodes.CorruptStorage{Record: i, Reason: fmt.Sprintf("etcdraft: record %d of %d: %v", i, len(records), err)})
		}
		torn = true
	}
	hs, _, _ := ms.InitialState()
	if last, _ := ms.LastIndex(); hs.GetCommit() > last {
		panic(fmt.Sprintf("etcdraft: recovered commit(%d) is out of range [lastIndex(%d)]", hs.GetCommit(), last))
	}
	return ms, torn
}

func replayOne(ms *raft.MemoryStorage, rec []byte) error {
	kind, body, ok := nodes.UnsealRecord(rec)
	if !ok {
		return errors.New("bad checksum")
	}
	switch kind {
	case recordEntries:
		ents, err := decodeEntries(body)
		if err != nil {
			return err
		}
		if last, _ := ms.LastIndex(); ents[0].GetIndex() > last+1 {
			return fmt.Errorf("entries from %d leave a gap after %d", ents[0].GetIndex(), last)
		}
		return ms.Append(ents) // truncates a conflicting suffix
	case recordHardState:
		hs, err := decodeHardState(body)
		if err != nil {
			return err
		}
		return ms.SetHardState(hs)
	}
	return fmt.Errorf("unknown record kind %q", kind)
}

// allEntries returns the whole log of ms (index 1..last).
func allEntries(ms *raft.MemoryStorage) []*pb.Entry {
	last, _ := ms.LastIndex()
	if last == 0 {
		return nil
	}
	ents, err := ms.Entries(1, last+1, ^uint64(0))
	if err != nil {
		panic(fmt.Sprintf("etcdraft: reading the log: %v", err))
	}
	return ents
}

// compacted is the disk content equivalent to ms: one entries record (if
// the log is not empty) and one hard state.
func compacted(ms *raft.MemoryStorage) [][]byte {
	var recs [][]byte
	if ents := allEntries(ms); len(ents) > 0 {
		recs = append(recs, encodeEntries(ents))
	}
	hs, _, _ := ms.InitialState()
	return append(recs, encodeHardState(hs))
}
