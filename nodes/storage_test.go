package nodes

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDiskAppendCopies: the caller may reuse a record's slice at once.
func TestDiskAppendCopies(t *testing.T) {
	d := NewDisk()
	buf := []byte("first")
	d.Append(buf)
	copy(buf, "XXXXX")
	d.Append(buf)
	require.Len(t, d.Records(), 2)
	assert.Equal(t, "first", string(d.Records()[0]))
	assert.Equal(t, "XXXXX", string(d.Records()[1]))
}

// TestDiskBuffer: a record built in the lent buffer is kept without a
// copy, and records built later never write over it.
func TestDiskBuffer(t *testing.T) {
	d := NewDisk()
	rec := append(d.Buffer(8), "one"...)
	d.Append(rec)
	got := d.Records()[0]
	assert.Equal(t, &rec[0], &got[0], "taken without a copy")
	assert.Equal(t, 3, cap(got), "capacity clipped")
	for i := range 3000 { // several chunks
		d.Append(append(d.Buffer(4), byte(i), byte(i>>8)))
	}
	assert.Equal(t, "one", string(got))
	for i, rec := range d.Records()[1:] {
		require.Equal(t, []byte{byte(i), byte(i >> 8)}, rec, "record %d", i+1)
	}
}

// TestDiskBufferOutgrown: a record that outgrows the lent buffer, a large
// record and a buffer that was lent but not used all still work.
func TestDiskBufferOutgrown(t *testing.T) {
	d := NewDisk()
	small := append(d.Buffer(1), bytes.Repeat([]byte{'s'}, arenaChunk)...)
	d.Append(small)
	_ = d.Buffer(16) // lent, never appended
	large := append(d.Buffer(arenaChunk), bytes.Repeat([]byte{'l'}, arenaChunk)...)
	d.Append(large)
	d.Append([]byte("tail"))
	require.Len(t, d.Records(), 3)
	assert.Equal(t, small, d.Records()[0])
	assert.Equal(t, large, d.Records()[1])
	assert.Equal(t, "tail", string(d.Records()[2]))
}

// TestDiskCrashKeepsRecordsHeld: a record a node holds stays unchanged
// after a crash drops it and new records are written.
func TestDiskCrashKeepsRecordsHeld(t *testing.T) {
	d := NewDisk()
	d.Append([]byte("synced"))
	d.Sync()
	d.Append(append(d.Buffer(8), "unsynced"...))
	held := d.Records()[1]
	d.Crash()
	require.Len(t, d.Records(), 1)
	d.Append(append(d.Buffer(8), "rewrite!"...))
	assert.Equal(t, "unsynced", string(held))
	assert.Equal(t, "rewrite!", string(d.Records()[1]))
}

// TestDiskCounters: every byte appended or replaced counts as written,
// however the record was built, and Sync and Replace each count a sync.
func TestDiskCounters(t *testing.T) {
	d := NewDisk()
	d.Append([]byte("abc"))
	d.Append(append(d.Buffer(4), "defg"...))
	d.Sync()
	assert.Equal(t, uint64(7), d.BytesWritten)
	assert.Equal(t, 1, d.Syncs)
	d.Replace([][]byte{[]byte("compacted")})
	assert.Equal(t, uint64(16), d.BytesWritten)
	assert.Equal(t, 2, d.Syncs)
	d.Append([]byte("h"))
	d.Crash() // a crash loses the write, not the count: the disk did it
	assert.Equal(t, uint64(17), d.BytesWritten)
}
