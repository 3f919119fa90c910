package nodes

import "fmt"

// Storage is a node's simulated disk: an append-only sequence of records, the
// shape of a write-ahead log. Appended records are visible at once to the
// node but durable only after Sync; a crash drops every record appended after
// the last Sync. A node must Sync before it acts on a state that must survive
// (a vote, a promise, an accepted value, an appended entry), and only then
// reply.
type Storage interface {
	// Append adds a record. The storage keeps the slice: the caller must
	// not modify it afterwards.
	Append(record []byte)
	// Sync makes every appended record durable.
	Sync()
	// Records returns every record, in append order. The caller must not
	// modify the slice or the records.
	Records() [][]byte
	// Replace atomically swaps the whole content for records and makes it
	// durable (a compacted log). The storage keeps the slices.
	Replace(records [][]byte)
}

// Disk is the simulator's Storage. It outlives the nodes that use it: a
// crashed node's successor is given the same Disk after Crash.
type Disk struct {
	records [][]byte
	// synced is how many leading records are durable. Invariant:
	// synced <= len(records).
	synced int
	// Syncs counts Sync calls, for statistics.
	Syncs int
}

// NewDisk returns an empty disk.
func NewDisk() *Disk { return &Disk{} }

func (d *Disk) Append(record []byte) { d.records = append(d.records, record) }

func (d *Disk) Sync() {
	d.synced = len(d.records)
	d.Syncs++
}

func (d *Disk) Records() [][]byte { return d.records }

// Replace copies the record slices (not their bytes) into the disk's own
// slice, keeping its capacity: a log that is compacted again and again does
// not regrow its record index from scratch each time.
func (d *Disk) Replace(records [][]byte) {
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
