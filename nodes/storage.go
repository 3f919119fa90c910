package nodes

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

func (d *Disk) Replace(records [][]byte) {
	d.records = records
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
