package checker

import (
	"fmt"
	"time"

	"github.com/consim/consim/nodes"
)

// StorageSample is what a server's disk held at At, read as a restarting
// node would read it (raft.ReadStored).
type StorageSample struct {
	At   time.Duration
	Node nodes.ID
	// Records is the number of records on the disk; SnapIndex the last
	// index its snapshot covers, LastIndex its log's last index, Commit its
	// durable commit index.
	Records                      int
	SnapIndex, LastIndex, Commit uint64
}

// SnapshotBound is the storage a Raft server may hold at rest.
type SnapshotBound struct {
	// Every is the snapshot interval (raft.Config.SnapshotEvery): at rest
	// fewer than Every committed entries follow the snapshot, since a
	// node applies everything durably committed by the end of each input
	// and snapshots once Every entries are applied past the last snapshot.
	Every uint64
	// SlackRecords is how many records beyond its log entries a disk may
	// hold before the node rewrites it (raft.StorageSlackRecords).
	SlackRecords int
}

// CheckSnapshotBounded judges log compaction (§7) by its effect: a server's
// storage stays bounded however long the run. At every sample (taken
// between events, when every node is at rest), the committed entries after
// the snapshot number fewer than Every, and the disk holds at most
// SlackRecords records beyond its log's entries after the snapshot. The
// first keeps the log short; the second keeps the disk from accumulating
// records the log no longer needs. One violation per server, its first.
func CheckSnapshotBounded(samples []StorageSample, bound SnapshotBound) []Violation {
	var out []Violation
	reported := map[nodes.ID]bool{}
	for _, s := range samples {
		if reported[s.Node] {
			continue
		}
		kept := s.LastIndex - s.SnapIndex
		var detail string
		switch {
		case s.Commit > s.SnapIndex && s.Commit-s.SnapIndex >= bound.Every:
			detail = fmt.Sprintf("%v holds %d committed entries after its snapshot at %d (commit %d), the snapshot interval is %d",
				s.Node, s.Commit-s.SnapIndex, s.SnapIndex, s.Commit, bound.Every)
		case uint64(s.Records) > uint64(bound.SlackRecords)+kept:
			detail = fmt.Sprintf("%v's disk holds %d records for a log of %d entries after its snapshot at %d: more than %d records beyond the log",
				s.Node, s.Records, kept, s.SnapIndex, bound.SlackRecords)
		default:
			continue
		}
		reported[s.Node] = true
		out = append(out, Violation{Invariant: InvariantSnapshotBounded, Class: ClassEffect, At: s.At, Nodes: []nodes.ID{s.Node}, Detail: detail})
	}
	return out
}
