package raft

import "github.com/consim/consim/nodes/raftfacts"

// The facts a Raft node reports live in nodes/raftfacts, shared with the
// etcd adapter; these aliases keep their Raft names.
type (
	Entry         = raftfacts.Entry
	HardStateFact = raftfacts.HardStateFact
	LogFact       = raftfacts.LogFact
	SnapshotFact  = raftfacts.SnapshotFact
	// TransferExpiredFact is quiet: outside the trace and fingerprint.
	TransferExpiredFact = raftfacts.TransferExpiredFact
)
