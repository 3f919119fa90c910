package scenarios

import (
	"fmt"
	"slices"
	"strings"

	"github.com/consim/consim/checker"
	"github.com/consim/consim/nodes"
	"github.com/consim/consim/nodes/etcdraft"
	"github.com/consim/consim/nodes/paxos"
	"github.com/consim/consim/nodes/primarybackup"
	"github.com/consim/consim/nodes/raft"
)

// Protocol is a consensus implementation the runner can simulate: how to
// build its servers and which online checkers judge its facts.
//
// A protocol name may switch on optional features after plus signs:
// "raft+prevote+checkquorum". LookupProtocol accepts the features in any
// order and returns the canonical name, with the features in the order
// the base protocol lists them (raft+checkquorum+prevote is
// raft+prevote+checkquorum): results, reports, merge keys and regression
// files carry that name, so two spellings are one protocol.
type Protocol struct {
	// Name is the canonical name: the base protocol's, followed by the
	// features switched on ("+feature", in Features order).
	Name        string
	Description string
	// Baseline marks a protocol that is not consensus (kept to show what
	// consensus buys): it is expected to fail under faults, so sweeps and
	// tests do not count its failures against the project.
	Baseline bool
	// Features lists the optional features the base protocol offers; On
	// names those this value has switched on, in Features order.
	Features []Feature
	On       []string
	// NewServer returns the constructor of a fresh server node (called at
	// boot and at every restart), or an error for options it cannot honour.
	NewServer func(o Options) (func() nodes.Node, error)
	// Checkers returns the protocol's own online checkers; the
	// protocol-neutral ones are added by the runner.
	Checkers func(servers []nodes.ID, o Options) []checker.Online

	// newServer builds the servers with the given features on; a protocol
	// with Features sets it, and LookupProtocol binds it into NewServer.
	newServer func(on []Feature, o Options) (func() nodes.Node, error)
}

// Feature is an optional part of a protocol, switched on by name after a
// plus sign (raft+prevote).
type Feature struct {
	Name        string
	Description string
	// raft switches the feature on in a Raft configuration.
	raft func(c *raft.Config)
}

// DefaultSnapshotEvery is how many applied entries the snapshot feature
// lets a Raft log grow by between snapshots: small enough that a follower
// down for a second of a loaded run falls behind a compacted log.
const DefaultSnapshotEvery = 128

// raftFeatures are the options of our Raft (see raft.Config), in canonical
// order.
var raftFeatures = []Feature{
	{"prevote", "a pre-election before every election, so that a server cut off does not raise its term (thesis §9.6)",
		func(c *raft.Config) { c.PreVote = true }},
	{"checkquorum", "a leader that has not heard from a majority within an election timeout steps down; " +
		"a server that hears from a leader refuses to vote for others (thesis §6.2, §4.2.3)",
		func(c *raft.Config) { c.CheckQuorum = true }},
	{"readindex", "gets served without a log entry, after a heartbeat round confirms the leader (thesis §6.4)",
		func(c *raft.Config) { c.ReadIndex = true }},
	{"lease", "gets served from a leader lease shortened for the scenario's clock drift, ReadIndex outside it; " +
		"needs checkquorum and readindex (thesis §6.4.1)",
		func(c *raft.Config) { c.LeaseReads = true }},
	{"snapshot", fmt.Sprintf("log compaction every %d applied entries; InstallSnapshot for followers behind the log (§7)", DefaultSnapshotEvery),
		func(c *raft.Config) { c.SnapshotEvery = DefaultSnapshotEvery }},
}

var protocols = []Protocol{
	{
		Name:        "raft",
		Description: "Raft (Ongaro & Ousterhout, extended paper §5, Figure 2)",
		Features:    raftFeatures,
		NewServer:   func(o Options) (func() nodes.Node, error) { return newRaftServer(nil, o) },
		newServer:   newRaftServer,
		Checkers: func(servers []nodes.ID, o Options) []checker.Online {
			return []checker.Online{checker.NewRaft(servers)}
		},
	},
	{
		Name:        "paxos",
		Description: "Multi-Paxos with a stable leader (Lamport, Paxos Made Simple §2-3)",
		NewServer: func(o Options) (func() nodes.Node, error) {
			cfg := paxos.DefaultConfig()
			cfg.Bugs = o.PaxosBugs
			if err := cfg.Validate(); err != nil {
				return nil, err
			}
			return func() nodes.Node { return paxos.New(cfg) }, nil
		},
		Checkers: func(servers []nodes.ID, o Options) []checker.Online {
			c := checker.NewPaxos(servers)
			// A value is chosen by a phase-2 quorum, whatever its size.
			if q := o.PaxosBugs.Phase2Quorum; q > 0 && q <= len(servers) {
				c.WithChosenQuorum(q)
			}
			return []checker.Online{c}
		},
	},
	{
		Name:        "etcd",
		Description: "etcd's Raft library (go.etcd.io/raft/v3 RawNode, PreVote and CheckQuorum on) through an adapter serving the same kv store",
		NewServer: func(o Options) (func() nodes.Node, error) {
			cfg := etcdraft.DefaultConfig()
			if err := cfg.Validate(); err != nil {
				return nil, err
			}
			return func() nodes.Node { return etcdraft.New(cfg) }, nil
		},
		Checkers: func(servers []nodes.ID, o Options) []checker.Online {
			return []checker.Online{checker.NewRaft(servers)}
		},
	},
	{
		Name: "primary-backup",
		Description: "NOT consensus, a baseline: asynchronous primary-backup replication (the lowest-id server that takes " +
			"every lower one for dead, and hears a majority, serves clients and pushes updates without waiting for backups; " +
			"failover by timeout, no vote, no epoch); it loses and forks writes under partitions",
		Baseline: true,
		NewServer: func(o Options) (func() nodes.Node, error) {
			cfg := primarybackup.DefaultConfig()
			if err := cfg.Validate(); err != nil {
				return nil, err
			}
			return func() nodes.Node { return primarybackup.New(cfg) }, nil
		},
		Checkers: func(servers []nodes.ID, o Options) []checker.Online { return nil }, // the runner adds the protocol-neutral ones
	},
}

// raftConfig is the Raft configuration of a run: the defaults, the
// features on, the run's bugs, and the scenario's clock drift.
func raftConfig(on []Feature, o Options) raft.Config {
	cfg := raft.DefaultConfig()
	for _, f := range on {
		f.raft(&cfg)
	}
	cfg.Bugs = o.RaftBugs
	cfg.MaxClockDrift = o.maxClockDrift
	return cfg
}

func newRaftServer(on []Feature, o Options) (func() nodes.Node, error) {
	cfg := raftConfig(on, o)
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return func() nodes.Node { return raft.New(cfg) }, nil
}

// ProtocolNames lists the base protocols (without features).
func ProtocolNames() []string {
	names := make([]string, len(protocols))
	for i, p := range protocols {
		names[i] = p.Name
	}
	return names
}

// FeatureNames lists the names of features.
func FeatureNames(features []Feature) []string {
	names := make([]string, len(features))
	for i, f := range features {
		names[i] = f.Name
	}
	return names
}

// LookupProtocol finds a protocol by name: a base protocol, optionally
// followed by features ("raft+prevote+checkquorum", in any order; see
// Protocol). The returned Protocol carries the canonical Name. A feature
// the base protocol does not offer, one given twice, or a combination the
// protocol's configuration rejects (raft.Config.Validate: lease without
// checkquorum and readindex) is an error that says so.
func LookupProtocol(name string) (Protocol, error) {
	p, err := parseProtocol(name)
	if err != nil || len(p.On) == 0 {
		return p, err
	}
	// Check the combination now, so that a bad name is a usage error
	// rather than a failure of the first run.
	if _, err := p.NewServer(Options{}); err != nil {
		return Protocol{}, fmt.Errorf("protocol %q: %w", name, err)
	}
	return p, nil
}

// parseProtocol is LookupProtocol without the check of the configuration.
func parseProtocol(name string) (Protocol, error) {
	baseName, featureText, hasFeatures := strings.Cut(name, "+")
	i := slices.IndexFunc(protocols, func(p Protocol) bool { return p.Name == baseName })
	if i < 0 {
		return Protocol{}, fmt.Errorf("unknown protocol %q (known: %s; raft also takes features after plus signs, as in raft+prevote: %s)",
			baseName, strings.Join(ProtocolNames(), ", "), strings.Join(FeatureNames(raftFeatures), ", "))
	}
	p := protocols[i]
	if !hasFeatures {
		return p, nil
	}
	if len(p.Features) == 0 || p.newServer == nil {
		return Protocol{}, fmt.Errorf("protocol %q: %s has no optional features (only raft has: %s)",
			name, p.Name, strings.Join(FeatureNames(raftFeatures), ", "))
	}
	on := make([]bool, len(p.Features))
	for _, f := range strings.Split(featureText, "+") {
		k := slices.IndexFunc(p.Features, func(x Feature) bool { return x.Name == f })
		switch {
		case f == "":
			return Protocol{}, fmt.Errorf("protocol %q: an empty feature name (write %s+feature+feature)", name, p.Name)
		case k < 0:
			return Protocol{}, fmt.Errorf("protocol %q: unknown feature %q of %s (known: %s)",
				name, f, p.Name, strings.Join(FeatureNames(p.Features), ", "))
		case on[k]:
			return Protocol{}, fmt.Errorf("protocol %q: feature %s given twice", name, f)
		}
		on[k] = true
	}
	var features []Feature
	for k, f := range p.Features {
		if on[k] {
			features = append(features, f)
			p.On = append(p.On, f.Name)
		}
	}
	p.Name = strings.Join(append([]string{p.Name}, p.On...), "+")
	base := p.newServer
	p.NewServer = func(o Options) (func() nodes.Node, error) { return base(features, o) }
	return p, nil
}

// ProtocolRank orders protocol names as reports list them: base protocols
// in ProtocolNames order, each followed by its feature combinations (by
// the set of features on, a bit per feature in Features order); names
// that are no protocol come last.
func ProtocolRank(name string) int {
	p, err := parseProtocol(name)
	if err != nil {
		return 1 << 30
	}
	base, _, _ := strings.Cut(p.Name, "+")
	rank := slices.Index(ProtocolNames(), base) << 16
	for k, f := range p.Features {
		if slices.Contains(p.On, f.Name) {
			rank |= 1 << k
		}
	}
	return rank
}

// BaseProtocol is the base protocol of a name: "raft" for "raft+prevote".
func BaseProtocol(name string) string {
	base, _, _ := strings.Cut(name, "+")
	return base
}
