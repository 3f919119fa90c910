package primarybackup

import (
	"errors"
	"fmt"

	"github.com/consim/consim/nodes"
	"github.com/consim/consim/nodes/kv"
)

// A node's Storage holds its log, one record per applied command in index
// order:
//
//	command crc:uint32 (little-endian IEEE CRC-32 of the command)
//
// the command encoded by kv.AppendCommand. Replay applies the records in
// order. A record that fails its checksum or does not decode is a torn
// write if it is the last one, and is dropped; a bad record anywhere else
// is a corrupt disk: the node halts (nodes.Halt).

// errCorruptRecord reports a record that cannot be replayed.
var errCorruptRecord = errors.New("primary-backup: corrupt storage record")

func encodeCommand(c kv.Command) []byte {
	return nodes.SealRecord(kv.AppendCommand(make([]byte, 0, 32), c))
}

func decodeCommand(rec []byte) (kv.Command, error) {
	// The command's first byte (its op) stands as the record's kind.
	_, body, ok := nodes.UnsealRecord(rec)
	if !ok {
		return kv.Command{}, errCorruptRecord
	}
	c, rest, err := kv.DecodeCommand(rec[:1+len(body)])
	if err != nil {
		return kv.Command{}, err
	}
	if len(rest) != 0 {
		return kv.Command{}, fmt.Errorf("%w: %d trailing bytes", errCorruptRecord, len(rest))
	}
	return c, nil
}

// replay returns the logged commands, and whether the last record was torn
// and dropped (the disk then needs rewriting before anything is appended
// after it).
func replay(records [][]byte) (log []kv.Command, torn bool) {
	log = make([]kv.Command, 0, len(records))
	for i, rec := range records {
		c, err := decodeCommand(rec)
		if err == nil {
			log = append(log, c)
			continue
		}
		if i != len(records)-1 {
			nodes.Halt(nodes.CorruptStorage{Record: i, Reason: fmt.Sprintf("primary-backup: record %d of %d: %v", i, len(records), err)})
		}
		torn = true
	}
	return log, torn
}
