package checker

import (
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/consim/consim/nodes"
	"github.com/consim/consim/nodes/raft"
	"github.com/consim/consim/sim"
)

// Raft checks the Raft safety properties (Raft paper, Figure 3) online, from
// the facts the servers report: nodes.RoleChanged (Epoch = term),
// raft.HardStateFact, raft.LogFact and raft.SnapshotFact. Facts about durable
// state come after the Sync that made them durable, so the shadow state kept
// per server is exactly what survives a crash; a crash only clears the
// server's role.
//
// The shadow log of a server keeps every entry, also those the server has
// compacted into a snapshot (§7): a snapshot at index i makes the shadow
// log's first i entries the entries known committed at 1..i, so compaction
// changes nothing there and installing a snapshot from the leader brings in
// the entries it covers. Leader completeness, log matching and commit
// durability are therefore judged on whole logs, compacted or not.
//
// Facts from nodes that are not servers, and facts of other kinds, are
// ignored.
type Raft struct {
	// servers holds the shadow state of each server, in the order given
	// to NewRaft; byID[id] is server id's (nil for an id that is not a
	// server's), so that a fact finds its server without hashing.
	servers []*raftServer
	byID    []*raftServer
	// leaders maps a term to the first server seen leading it (§5.2).
	leaders map[uint64]leaderRecord
	// entries[i-1] is the first log seen holding an entry at index i, by
	// its prefix digest, with that entry's term (§5.3, Log Matching);
	// otherTerms holds the first log seen for each further term at an
	// index. Both are kept for the whole run: the leader of a term creates
	// at most one entry per index, so (index, term) names one log prefix
	// forever. Indexes are dense from 1, and most hold one term, so the
	// slice spares a map's hashing and rehashing.
	entries    []entryRecord
	otherTerms map[indexTerm]entryRecord
	// committed[i-1] is the entry known committed at index i: an entry at
	// or below a server's reported commit index in that server's log.
	// Each server's committed entries form a prefix of its log, so the
	// known committed entries form a prefix 1..len(committed) too.
	committed []committedEntry
}

// raftServer is the checker's shadow of one server.
type raftServer struct {
	id nodes.ID
	// leader says the server announced leadership of leaderTerm and has
	// not since changed role or crashed.
	leader     bool
	leaderTerm uint64
	// hard is the last reported hard state; hasHard says there was one.
	hard    raft.HardStateFact
	hasHard bool
	// vote is the last non-zero vote reported, cast in voteTerm; it
	// survives a vote of 0 reported in the same term, so that forgetting a
	// vote and then voting again is caught too.
	vote     nodes.ID
	voteTerm uint64
	// log is the durable log; log[i-1] is the entry at index i. Entries
	// covered by the server's snapshot are kept.
	log []shadowEntry
	// snapIndex is the index of the server's last snapshot (0 for none):
	// log entries 1..snapIndex are committed entries, never rewritten.
	snapIndex uint64
	// checked is how many leading entries of log were compared with (or
	// recorded in) Raft.committed: the entries the server has reported
	// committed, or covers with a snapshot. Invariant: min(max(hard.Commit,
	// snapIndex), len(log)) <= checked <= len(log) (more than both only
	// after a commit-monotonic violation).
	checked int
}

// shadowEntry is what the checker keeps of a log entry.
type shadowEntry struct {
	term   uint64
	digest uint64 // kv.Command.Digest of the entry's command
	prefix uint64 // digest of the log's entries 1..this one
}

type indexTerm struct {
	index, term uint64
}

type leaderRecord struct {
	node nodes.ID
	at   time.Duration
}

type entryRecord struct {
	term, prefix, digest uint64
	node                 nodes.ID
	at                   time.Duration
	// set says the record holds a log (entries has gaps while unset).
	set bool
}

// firstEntry returns the first log seen with an entry at (index, term).
func (r *Raft) firstEntry(index, term uint64) (entryRecord, bool) {
	if index > uint64(len(r.entries)) || !r.entries[index-1].set {
		return entryRecord{}, false
	}
	if e := r.entries[index-1]; e.term == term {
		return e, true
	}
	e, ok := r.otherTerms[indexTerm{index: index, term: term}]
	return e, ok
}

// recordEntry records e as the first log seen at (index, e.term), which has
// none.
func (r *Raft) recordEntry(index uint64, e entryRecord) {
	e.set = true
	if index <= uint64(len(r.entries)) && r.entries[index-1].set {
		r.otherTerms[indexTerm{index: index, term: e.term}] = e
		return
	}
	if index > uint64(len(r.entries)) {
		r.entries = growTo(r.entries, int(index))
	}
	r.entries[index-1] = e
}

// growTo returns s extended to length n (> len(s)), doubling its capacity
// when it must grow, so that a slice grown one element at a time is copied
// O(1) times per element whatever its size (append grows large slices by
// 1.25x only). The new elements are zero unless s was once longer (they
// then hold what was cut off): callers that shrink s overwrite them.
func growTo[E any](s []E, n int) []E {
	if n > cap(s) {
		s = slices.Grow(s, max(n, 2*cap(s))-len(s))
	}
	return s[:n]
}

type committedEntry struct {
	term, digest, prefix uint64
	// by is the lowest term in which a server reported the entry committed
	// (the term of the HardStateFact whose commit index covered it): the
	// entry was committed in term by or earlier, so every leader of a later
	// term must hold it. Invariant: non-decreasing along Raft.committed
	// (a report covers every index below its commit index too).
	by   uint64
	node nodes.ID
	at   time.Duration
}

// prefixSeed is the prefix digest of the empty log.
var prefixSeed = sim.HashString("raft log")

// NewRaft returns a Raft checker for the given servers.
func NewRaft(servers []nodes.ID) *Raft {
	r := &Raft{
		servers:    make([]*raftServer, 0, len(servers)),
		leaders:    map[uint64]leaderRecord{},
		otherTerms: map[indexTerm]entryRecord{},
	}
	for _, id := range servers {
		if r.server(id) != nil {
			continue
		}
		s := &raftServer{id: id}
		r.servers = append(r.servers, s)
		if int(id) >= len(r.byID) {
			r.byID = append(r.byID, make([]*raftServer, int(id)+1-len(r.byID))...)
		}
		r.byID[id] = s
	}
	return r
}

// server returns the shadow state of server id, or nil if id is not a
// server.
func (r *Raft) server(id nodes.ID) *raftServer {
	if id < 0 || int(id) >= len(r.byID) {
		return nil
	}
	return r.byID[id]
}

// Observe implements Online.
func (r *Raft) Observe(at time.Duration, node nodes.ID, f nodes.Fact) []Violation {
	s := r.server(node)
	if s == nil {
		return nil
	}
	switch f := f.(type) {
	case nodes.RoleChanged:
		return r.roleChanged(at, s, f)
	case *nodes.RoleChanged:
		return r.roleChanged(at, s, *f)
	case raft.HardStateFact:
		return r.hardState(at, s, f)
	case *raft.HardStateFact:
		return r.hardState(at, s, *f)
	case raft.LogFact:
		return r.logChanged(at, s, f)
	case *raft.LogFact:
		return r.logChanged(at, s, *f)
	case raft.SnapshotFact:
		return r.snapshotTaken(at, s, f)
	case *raft.SnapshotFact:
		return r.snapshotTaken(at, s, *f)
	}
	return nil
}

// Crashed implements Online: the server is no longer leader; its durable
// term, vote, commit index and log stay as last reported.
func (r *Raft) Crashed(at time.Duration, node nodes.ID) {
	if s := r.server(node); s != nil {
		s.leader = false
	}
}

// roleChanged checks election safety (§5.2) and leader completeness (§5.4)
// when a server becomes leader.
func (r *Raft) roleChanged(at time.Duration, s *raftServer, f nodes.RoleChanged) []Violation {
	if f.Role != nodes.RoleLeader {
		s.leader = false
		return nil
	}
	s.leader = true
	s.leaderTerm = f.Epoch
	var vs []Violation
	if v := r.checkElection(at, s, f.Epoch); v != nil {
		vs = append(vs, *v)
	}
	if v := r.checkCompleteness(at, s, f.Epoch); v != nil {
		vs = append(vs, *v)
	}
	return vs
}

// checkElection: at most one leader can be elected in a given term (§5.2).
// The same server announcing the same term twice is not a second leader.
func (r *Raft) checkElection(at time.Duration, s *raftServer, term uint64) *Violation {
	first, ok := r.leaders[term]
	if !ok {
		r.leaders[term] = leaderRecord{node: s.id, at: at}
		return nil
	}
	if first.node == s.id {
		return nil
	}
	return &Violation{
		Invariant: InvariantElectionSafety,
		Class:     ClassSafety,
		At:        at,
		Nodes:     involved(first.node, s.id),
		Detail: fmt.Sprintf("%v became leader of term %d, which %v has led since %v",
			s.id, term, first.node, first.at),
	}
}

// checkCompleteness: the new leader of term holds every entry known
// committed in an earlier term (§5.4, Leader Completeness: "if a log entry is
// committed in a given term, then that entry will be present in the logs of
// the leaders for all higher-numbered terms"). A leader of an older term can
// still be elected late, by votes cast before the entry was committed; it
// need not hold it. Committed entries are a prefix, so comparing prefix
// digests at the last such index suffices; the first difference is searched
// only to explain a violation.
func (r *Raft) checkCompleteness(at time.Duration, s *raftServer, term uint64) *Violation {
	k := sort.Search(len(r.committed), func(i int) bool { return r.committed[i].by >= term })
	if k == 0 || (len(s.log) >= k && s.log[k-1].prefix == r.committed[k-1].prefix) {
		return nil
	}
	i := 1
	for i <= len(s.log) && s.log[i-1].term == r.committed[i-1].term && s.log[i-1].digest == r.committed[i-1].digest {
		i++
	}
	c := r.committed[i-1]
	has := fmt.Sprintf("its log ends at index %d", len(s.log))
	if i <= len(s.log) {
		has = fmt.Sprintf("its log has term %d there (digest %016x)", s.log[i-1].term, s.log[i-1].digest)
	}
	return &Violation{
		Invariant: InvariantLeaderCompleteness,
		Class:     ClassSafety,
		At:        at,
		Nodes:     involved(s.id, c.node),
		Detail: fmt.Sprintf("%v became leader of term %d without the entry committed at index %d (term %d, digest %016x, reported committed by %v at %v, in term %d); %s",
			s.id, term, i, c.term, c.digest, c.node, c.at, c.by, has),
	}
}

// hardState checks that a server's persistent term and commit index never go
// back and that it votes at most once per term (§5.2, Figure 2), across
// restarts too, then records the entries its commit index covers.
func (r *Raft) hardState(at time.Duration, s *raftServer, f raft.HardStateFact) []Violation {
	var vs []Violation
	if s.hasHard && f.Term < s.hard.Term {
		vs = append(vs, Violation{
			Invariant: InvariantTermMonotonic,
			Class:     ClassSafety,
			At:        at,
			Nodes:     involved(s.id),
			Detail:    fmt.Sprintf("%v's durable term went from %d back to %d", s.id, s.hard.Term, f.Term),
		})
	}
	if s.hasHard && f.Commit < s.hard.Commit {
		vs = append(vs, Violation{
			Invariant: InvariantCommitMonotonic,
			Class:     ClassSafety,
			At:        at,
			Nodes:     involved(s.id),
			Detail:    fmt.Sprintf("%v's durable commit index went from %d back to %d", s.id, s.hard.Commit, f.Commit),
		})
	}
	if f.Vote != 0 {
		if s.vote != 0 && s.voteTerm == f.Term && s.vote != f.Vote {
			vs = append(vs, Violation{
				Invariant: InvariantOneVotePerTerm,
				Class:     ClassSafety,
				At:        at,
				Nodes:     involved(s.id, s.vote, f.Vote),
				Detail:    fmt.Sprintf("%v voted for %v and then for %v in term %d", s.id, s.vote, f.Vote, f.Term),
			})
		}
		s.vote = f.Vote
		s.voteTerm = f.Term
	}
	s.hard = f
	s.hasHard = true
	if v := r.recordCommitted(at, s); v != nil {
		vs = append(vs, *v)
	}
	return vs
}

// recordCommitted compares the server's entries up to its commit index with
// the entries known committed, and records those not yet known. Two
// different entries committed at one index break State Machine Safety
// (§5.4.3). It reports the first conflict only.
func (r *Raft) recordCommitted(at time.Duration, s *raftServer) *Violation {
	upTo := int(min(s.hard.Commit, uint64(len(s.log))))
	// Entries already known committed, up to upTo, were committed by
	// s.hard.Term at the latest; walking back stops where they already
	// were (by is non-decreasing).
	for i := min(upTo, len(r.committed)); i >= 1 && r.committed[i-1].by > s.hard.Term; i-- {
		r.committed[i-1].by = s.hard.Term
	}
	var first *Violation
	for i := s.checked + 1; i <= upTo; i++ {
		e := s.log[i-1]
		if i == len(r.committed)+1 {
			r.committed = append(r.committed, committedEntry{term: e.term, digest: e.digest, prefix: e.prefix, by: s.hard.Term, node: s.id, at: at})
			if v := r.checkDurable(at, s, i, e); v != nil && first == nil {
				first = v
			}
			continue
		}
		if i > len(r.committed) {
			panic(fmt.Sprintf("checker: committed entries not a prefix: index %d, %d known", i, len(r.committed)))
		}
		c := r.committed[i-1]
		if first == nil && (c.term != e.term || c.digest != e.digest) {
			first = &Violation{
				Invariant: InvariantStateMachineSafety,
				Class:     ClassSafety,
				At:        at,
				Nodes:     involved(s.id, c.node),
				Detail: fmt.Sprintf("%v has term %d (digest %016x) committed at index %d, but %v reported term %d (digest %016x) committed there at %v",
					s.id, e.term, e.digest, i, c.node, c.term, c.digest, c.at),
			}
		}
	}
	s.checked = max(s.checked, upTo)
	return first
}

// checkDurable checks that an entry first known committed at index is held,
// durably, by a majority of the servers: a leader counts a follower's entry
// only once the follower has synced it (§5.3, §5.4.2: "replicated it on a
// majority of the servers"), and the shadow logs hold only synced entries.
// Without it, a crash of the holders could lose a committed entry.
func (r *Raft) checkDurable(at time.Duration, s *raftServer, index int, e shadowEntry) *Violation {
	var holders []nodes.ID
	for _, other := range r.servers {
		if len(other.log) >= index && other.log[index-1].term == e.term && other.log[index-1].digest == e.digest {
			holders = append(holders, other.id)
		}
	}
	if majority := len(r.servers)/2 + 1; len(holders) < majority {
		slices.Sort(holders)
		return &Violation{
			Invariant: InvariantCommitDurability,
			Class:     ClassSafety,
			At:        at,
			Nodes:     involved(append(holders, s.id)...),
			Detail: fmt.Sprintf("%v reported index %d (term %d) committed, but only %d of %d servers hold it durably (%s); a majority must",
				s.id, index, e.term, len(holders), len(r.servers), nodeList(holders)),
		}
	}
	return nil
}

// logChanged applies a LogFact to the shadow log and checks leader
// append-only (§5.3), that no entry at or below the server's commit index is
// removed (§5.4.3), log matching for the new entries (§5.3) and the new
// entries' agreement with those known committed.
func (r *Raft) logChanged(at time.Duration, s *raftServer, f raft.LogFact) []Violation {
	if f.After > uint64(len(s.log)) {
		return []Violation{{
			Invariant: InvariantFactConsistency,
			Class:     ClassSafety,
			At:        at,
			Nodes:     involved(s.id),
			Detail:    fmt.Sprintf("%v reported entries after index %d, but its log ends at %d", s.id, f.After, len(s.log)),
		}}
	}
	if f.After < s.snapIndex {
		return []Violation{{
			Invariant: InvariantSnapshotImmutable,
			Class:     ClassSafety,
			At:        at,
			Nodes:     involved(s.id),
			Detail: fmt.Sprintf("%v rewrote its log after index %d, inside its snapshot of entries 1..%d",
				s.id, f.After, s.snapIndex),
		}}
	}
	after := int(f.After)
	newLength := after + len(f.Entries)
	var vs []Violation
	if s.leader && s.hard.Term <= s.leaderTerm && after < len(s.log) {
		vs = append(vs, Violation{
			Invariant: InvariantLeaderAppendOnly,
			Class:     ClassSafety,
			At:        at,
			Nodes:     involved(s.id),
			Detail: fmt.Sprintf("%v, leader of term %d, rewrote its log after index %d (it had %d entries, now %d)",
				s.id, s.leaderTerm, after, len(s.log), newLength),
		})
	}
	if newLength < s.checked {
		vs = append(vs, Violation{
			Invariant: InvariantStateMachineSafety,
			Class:     ClassSafety,
			At:        at,
			Nodes:     involved(s.id),
			Detail: fmt.Sprintf("%v removed entries it had reported committed: they reached index %d, its log now ends at %d",
				s.id, s.checked, newLength),
		})
	}
	s.log = s.log[:after]
	var mismatch *Violation
	for _, e := range f.Entries {
		prefix := prefixSeed
		if len(s.log) > 0 {
			prefix = s.log[len(s.log)-1].prefix
		}
		digest := e.Cmd.Digest()
		prefix = sim.MixDigest(sim.MixDigest(prefix, e.Term), digest)
		s.log = growTo(s.log, len(s.log)+1)
		s.log[len(s.log)-1] = shadowEntry{term: e.Term, digest: digest, prefix: prefix}
		if v := r.checkMatching(at, s, uint64(len(s.log)), e.Term, digest, prefix); v != nil && mismatch == nil {
			mismatch = v
		}
	}
	if mismatch != nil {
		vs = append(vs, *mismatch)
	}
	s.checked = min(s.checked, after)
	if v := r.recordCommitted(at, s); v != nil {
		vs = append(vs, *v)
	}
	return vs
}

// checkMatching: if two logs contain an entry with the same index and term,
// then the logs are identical in all entries up through that index (§5.3,
// Log Matching). The first log seen with an entry at (index, term) is
// recorded by its prefix digest; any later log with an entry there must have
// the same prefix digest.
func (r *Raft) checkMatching(at time.Duration, s *raftServer, index, term, digest, prefix uint64) *Violation {
	first, ok := r.firstEntry(index, term)
	if !ok {
		r.recordEntry(index, entryRecord{term: term, prefix: prefix, digest: digest, node: s.id, at: at})
		return nil
	}
	if first.prefix == prefix {
		return nil
	}
	what := "the same command there but different entries before it"
	if first.digest != digest {
		what = fmt.Sprintf("different commands there (digest %016x, %v had %016x)", digest, first.node, first.digest)
	}
	return &Violation{
		Invariant: InvariantLogMatching,
		Class:     ClassSafety,
		At:        at,
		Nodes:     involved(s.id, first.node),
		Detail: fmt.Sprintf("%v's log and the one %v held at %v both have an entry at index %d term %d, with %s",
			s.id, first.node, first.at, index, term, what),
	}
}

// snapshotTaken applies a SnapshotFact (§7): the server's log now starts with
// the committed entries 1..f.Index, followed by the entries after f.Index it
// held if its entry at f.Index had f.Term (compaction; Figure 13 step 6), by
// nothing otherwise (Figure 13 step 7). A snapshot must cover only entries
// known committed, the entry at f.Index being of f.Term, and must not go
// back behind the server's previous snapshot.
func (r *Raft) snapshotTaken(at time.Duration, s *raftServer, f raft.SnapshotFact) []Violation {
	if f.Index < s.snapIndex {
		return []Violation{{
			Invariant: InvariantSnapshotImmutable,
			Class:     ClassSafety,
			At:        at,
			Nodes:     involved(s.id),
			Detail:    fmt.Sprintf("%v's snapshot went from index %d back to %d", s.id, s.snapIndex, f.Index),
		}}
	}
	index := int(f.Index)
	if index == 0 || index > len(r.committed) || r.committed[index-1].term != f.Term {
		known := fmt.Sprintf("only entries 1..%d are known committed", len(r.committed))
		who := involved(s.id)
		if index > 0 && index <= len(r.committed) {
			c := r.committed[index-1]
			known = fmt.Sprintf("the entry committed there is of term %d (reported by %v at %v)", c.term, c.node, c.at)
			who = involved(s.id, c.node)
		}
		return []Violation{{
			Invariant: InvariantSnapshotCommitted,
			Class:     ClassSafety,
			At:        at,
			Nodes:     who,
			Detail:    fmt.Sprintf("%v took a snapshot of entries 1..%d (term %d at %d), but %s", s.id, index, f.Term, index, known),
		}}
	}
	keep := len(s.log) >= index && s.log[index-1].term == f.Term && s.log[index-1].prefix == r.committed[index-1].prefix
	if !keep {
		s.log = s.log[:0]
	}
	for i := range index {
		c := r.committed[i]
		e := shadowEntry{term: c.term, digest: c.digest, prefix: c.prefix}
		if i < len(s.log) {
			s.log[i] = e
		} else {
			s.log = append(s.log, e)
		}
	}
	s.snapIndex = f.Index
	if keep {
		s.checked = max(s.checked, index)
	} else {
		s.checked = index
	}
	return nil
}
