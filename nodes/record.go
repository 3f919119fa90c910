package nodes

import (
	"encoding/binary"
	"hash/crc32"
)

// The write-ahead-log records of our protocols share one frame:
//
//	kind:byte body crc:uint32 (little-endian IEEE CRC-32 of kind and body)
//
// so that a torn or corrupted record is detected on replay.

// RecordChecksumSize is the length of a record's checksum trailer.
const RecordChecksumSize = 4

// SealRecord appends the checksum of buf (kind byte and body) to it.
func SealRecord(buf []byte) []byte {
	return binary.LittleEndian.AppendUint32(buf, crc32.ChecksumIEEE(buf))
}

// UnsealRecord checks a record's checksum and returns its kind and body; ok
// is false for a record that is too short or whose checksum fails.
func UnsealRecord(rec []byte) (kind byte, body []byte, ok bool) {
	if len(rec) < 1+RecordChecksumSize {
		return 0, nil, false
	}
	n := len(rec) - RecordChecksumSize
	if crc32.ChecksumIEEE(rec[:n]) != binary.LittleEndian.Uint32(rec[n:]) {
		return 0, nil, false
	}
	return rec[0], rec[1:n], true
}
