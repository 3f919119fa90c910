package kv

import "encoding/binary"

// The helpers below are the varint codec protocols use for their disk
// records; they are exported through the wrappers at the bottom.

func appendUvarint(buf []byte, v uint64) []byte { return binary.AppendUvarint(buf, v) }

func readUvarint(buf []byte) (uint64, []byte, error) {
	v, n := binary.Uvarint(buf)
	if n <= 0 {
		return 0, nil, ErrCorrupt
	}
	return v, buf[n:], nil
}

func appendString(buf []byte, s string) []byte {
	buf = binary.AppendUvarint(buf, uint64(len(s)))
	return append(buf, s...)
}

func readString(buf []byte) (string, []byte, error) {
	n, buf, err := readUvarint(buf)
	if err != nil {
		return "", nil, err
	}
	if n > uint64(len(buf)) {
		return "", nil, ErrCorrupt
	}
	return string(buf[:n]), buf[n:], nil
}

// AppendUvarint appends v as a varint.
func AppendUvarint(buf []byte, v uint64) []byte { return appendUvarint(buf, v) }

// ReadUvarint reads a varint and returns the rest of buf.
func ReadUvarint(buf []byte) (uint64, []byte, error) { return readUvarint(buf) }
