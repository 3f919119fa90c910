package nodes

import (
	"fmt"
	"slices"
)

// Storage is a node's simulated disk: an append-only sequence of records, the
// shape of a write-ahead log. Appended records are visible at once to the
// node but durable only after Sync; a crash drops every record appended after
// the last Sync. A node must Sync before it acts on a state that must survive
// (a vote, a promise, an accepted value, an appended entry), and only then
// reply.
type Storage interface {
	// Append adds a copy of record. The caller keeps the slice and may
	// reuse it at once (encode every record into one scratch buffer). A
	// record built in the slice Buffer returned is taken without a copy.
	Append(record []byte)
	// Buffer returns an empty slice with capacity for at least size bytes,
	// which the storage lends for the caller to append one record to and
	// pass to Append (a record outgrowing it still works, by a copy). The
	// loan ends at the next call on the storage.
	Buffer(size int) []byte
	// Sync makes every appended record durable.
	Sync()
	// Records returns every record, in append order. The caller must not
	// modify the slice or the records.
	Records() [][]byte
	// Replace atomically swaps the whole content for records and makes it
	// durable (a compacted log). The storage keeps the slices (a compacted
	// log is made fresh): the caller must not modify them afterwards.
	Replace(records [][]byte)
}

// Disk is the simulator's Storage. It outlives the nodes that use it: a
// crashed node's successor is given the same Disk after Crash.
//
// Appended records live in an arena the disk owns: Append copies each
// record into the free tail of the current chunk (or a new one), or takes
// it as it is if it was built there (Buffer), and no byte of a chunk is
// ever written again once a record holds it. Replace keeps the caller's
// slices, which the caller gives up. So a record returned by Records stays
// valid and unchanged for as long as anyone holds it, even after Crash,
// Replace or damage (which copies the record it flips), and a node may keep
// sub-slices of it (a snapshot's data). A chunk is freed by the garbage
// collector once no record in it is referenced.
type Disk struct {
	records [][]byte
	// arena is the free tail of the current chunk: length 0, capacity what
	// is left. Records are carved from its front; the bytes behind it
	// belong to records and are never written again.
	arena []byte
	// lent is the slice the last Buffer call lent (the arena's tail or a
	// slice of its own for a large record), until the next Append; nil
	// when nothing is lent.
	lent []byte
	// synced is how many leading records are durable. Invariant:
	// synced <= len(records).
	synced int
	// Syncs counts Sync and Replace calls (each makes the disk durable),
	// for statistics.
	Syncs int
	// BytesWritten counts the bytes of every record appended or written by
	// Replace, for statistics (cost checks).
	BytesWritten uint64
}

// NewDisk returns an empty disk.
func NewDisk() *Disk { return &Disk{} }

// arenaChunk is the size of an arena chunk; a record larger than
// arenaChunk/4 gets an allocation of its own instead, so that a chunk wastes
// at most a quarter of itself.
const arenaChunk = 8 << 10

// Append copies record into the disk (or takes it as it is if it was built
// in the slice Buffer lent); the caller may reuse record at once.
func (d *Disk) Append(record []byte) {
	lent := d.lent
	d.lent = nil
	size := len(record)
	d.BytesWritten += uint64(size)
	if len(d.records) == cap(d.records) {
		// Double the record index: append grows a long slice by a quarter
		// only, and a disk grows by many records between compactions.
		d.records = slices.Grow(d.records, max(len(d.records), 16))
	}
	if size > 0 && size <= cap(lent) && &record[0] == &lent[:1][0] {
		if size <= cap(d.arena) && &lent[:1][0] == &d.arena[:1][0] {
			d.arena = d.arena[size:size]
		}
		d.records = append(d.records, record[:size:size])
		return
	}
	d.records = append(d.records, d.own(record))
}

// Buffer lends the arena's free tail, starting a new chunk if the tail is
// shorter than size (a record larger than arenaChunk/4 gets a slice of its
// own).
func (d *Disk) Buffer(size int) []byte {
	switch {
	case size > arenaChunk/4:
		d.lent = make([]byte, 0, size)
	case size > cap(d.arena):
		d.arena = make([]byte, 0, arenaChunk)
		d.lent = d.arena
	default:
		d.lent = d.arena
	}
	return d.lent
}

// own returns a disk-owned copy of record carved from the arena, with its
// capacity clipped so that appending to it cannot reach the next record.
func (d *Disk) own(record []byte) []byte {
	size := len(record)
	if size > arenaChunk/4 {
		return append([]byte(nil), record...)
	}
	if size > cap(d.arena) {
		d.arena = make([]byte, 0, arenaChunk)
	}
	rec := append(d.arena, record...)
	rec = rec[:size:size]
	d.arena = d.arena[size:size]
	return rec
}

func (d *Disk) Sync() {
	d.synced = len(d.records)
	d.Syncs++
}

func (d *Disk) Records() [][]byte { return d.records }

// Replace copies the record slices (not their bytes) into the disk's own
// slice, keeping its capacity: a log that is compacted again and again does
// not regrow its record index from scratch each time.
func (d *Disk) Replace(records [][]byte) {
	d.lent = nil
	for _, record := range records {
		d.BytesWritten += uint64(len(record))
	}
	old := d.records
	d.records = append(d.records[:0], records...)
	if len(old) > len(records) {
		clear(old[len(records):]) // drop references for the garbage collector
	}
	d.synced = len(records)
	d.Syncs++
}

// Unsynced is the number of records a crash would lose now.
func (d *Disk) Unsynced() int { return len(d.records) - d.synced }

// Crash drops every record that was not synced.
func (d *Disk) Crash() {
	d.lent = nil
	for i := d.synced; i < len(d.records); i++ {
		d.records[i] = nil
	}
	d.records = d.records[:d.synced]
}

// Damage is what a crash does to a disk beyond losing unsynced writes.
type Damage uint8

const (
	// DamageNone: only unsynced writes are lost.
	DamageNone Damage = iota
	// DamageTorn: the first unsynced record survives as a prefix of itself,
	// as if power failed mid-write.
	DamageTorn
	// DamageCorrupt: one synced record followed by another gets a flipped
	// byte, so a node can tell it from a torn tail and must refuse it.
	DamageCorrupt
)

// CrashDamaged is Crash with damage; pick draws a number in [0, n). It
// reports whether damage was done (a torn write needs an unsynced record, a
// corruption two synced ones).
func (d *Disk) CrashDamaged(damage Damage, pick func(n int) int) bool {
	switch damage {
	case DamageTorn:
		if d.synced == len(d.records) || len(d.records[d.synced]) < 2 {
			d.Crash()
			return false
		}
		rec := d.records[d.synced]
		torn := append([]byte(nil), rec[:1+pick(len(rec)-1)]...)
		d.Crash()
		d.records = append(d.records, torn)
		d.synced = len(d.records)
		return true
	case DamageCorrupt:
		d.Crash()
		if d.synced < 2 {
			return false
		}
		i := pick(d.synced - 1) // never the last record: it would look torn
		rec := append([]byte(nil), d.records[i]...)
		if len(rec) == 0 {
			return false
		}
		rec[pick(len(rec))] ^= 0x5a
		d.records[i] = rec
		return true
	}
	d.Crash()
	return false
}

// CorruptStorage is what a node panics with (through Halt) when its disk
// holds a record it cannot trust: the simulator then keeps it down, as a
// fail-stop node, instead of reporting a crash of the protocol.
type CorruptStorage struct {
	// Record is the index of the bad record; Reason says what is wrong.
	Record int
	Reason string
}

func (e CorruptStorage) Error() string {
	return fmt.Sprintf("corrupt storage: record %d: %s", e.Record, e.Reason)
}

// Halt stops the node for good because its storage is corrupt. It does not
// return.
func Halt(e CorruptStorage) { panic(e) }
