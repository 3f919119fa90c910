package raft

// StorageSlackRecords is how many records beyond the log's entries a Raft
// disk may hold before the node rewrites it (see maybeCompact): at rest, a
// disk holds at most StorageSlackRecords + (its log's entries after the
// snapshot) records.
const StorageSlackRecords = compactSlack

// Stored is what a Raft disk holds, as a restarting node would read it.
type Stored struct {
	// Records is the number of records on the disk.
	Records int
	// SnapIndex is the last index the snapshot covers (0 without one);
	// LastIndex the log's last index; Commit the durable commit index.
	SnapIndex, LastIndex, Commit uint64
}

// ReadStored decodes records as a restarting node would, without changing
// them: for checks of storage size (checker.CheckSnapshotBounded). ok is
// false for a disk a node would refuse (a corrupt record).
func ReadStored(records [][]byte) (s Stored, ok bool) {
	defer func() {
		if recover() != nil {
			s, ok = Stored{}, false
		}
	}()
	d := replay(records)
	return Stored{Records: len(records), SnapIndex: d.log.snapIndex, LastIndex: d.log.lastIndex(), Commit: d.hard.commit}, true
}
