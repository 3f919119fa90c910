package nodes

// QuietFact is a fact reported for the checkers only: the host hands it to
// its observer like any other fact, but leaves it out of the trace and the
// fingerprint. A node may report a new quiet fact without changing the
// fingerprint of any existing run, as long as reporting it changes nothing
// the node does (the feature-effect facts of issue 16, such as
// raftfacts.TransferExpiredFact).
type QuietFact interface {
	Fact
	// Quiet marks the fact; it does nothing.
	Quiet()
}
