package scenarios

import (
	"fmt"
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
type Protocol struct {
	Name        string
	Description string
	// Baseline marks a protocol that is not consensus (kept to show what
	// consensus buys): it is expected to fail under faults, so sweeps and
	// tests do not count its failures against the project.
	Baseline bool
	// NewServer returns the constructor of a fresh server node (called at
	// boot and at every restart), or an error for options it cannot honour.
	NewServer func(o Options) (func() nodes.Node, error)
	// Checkers returns the protocol's own online checkers; the
	// protocol-neutral ones are added by the runner.
	Checkers func(servers []nodes.ID, o Options) []checker.Online
}

var protocols = []Protocol{
	{
		Name:        "raft",
		Description: "Raft (Ongaro & Ousterhout, extended paper §5, Figure 2)",
		NewServer: func(o Options) (func() nodes.Node, error) {
			cfg := raft.DefaultConfig()
			cfg.Bugs = o.RaftBugs
			if err := cfg.Validate(); err != nil {
				return nil, err
			}
			return func() nodes.Node { return raft.New(cfg) }, nil
		},
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

// ProtocolNames lists the protocols.
func ProtocolNames() []string {
	names := make([]string, len(protocols))
	for i, p := range protocols {
		names[i] = p.Name
	}
	return names
}

// LookupProtocol finds a protocol by name.
func LookupProtocol(name string) (Protocol, error) {
	for _, p := range protocols {
		if p.Name == name {
			return p, nil
		}
	}
	return Protocol{}, fmt.Errorf("unknown protocol %q (known: %s)", name, strings.Join(ProtocolNames(), ", "))
}
