package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestProtocolFeaturesOnTheCommandLine: features after plus signs, in any
// order, name one protocol, reported canonically; a bad feature is a usage
// error that names the flag.
func TestProtocolFeaturesOnTheCommandLine(t *testing.T) {
	code, stdout, stderr := call("run", "--protocol", "raft+checkquorum+prevote", "--scenario", "steady", "--seed", "1", "--json")
	require.Equal(t, exitOK, code, stderr)
	var res struct{ Protocol, Verdict string }
	require.NoError(t, json.Unmarshal([]byte(stdout), &res))
	assert.Equal(t, "raft+prevote+checkquorum", res.Protocol)
	assert.Equal(t, "ok", res.Verdict)

	bad := []struct {
		args []string
		want string
	}{
		{[]string{"run", "--protocol", "raft+nope"}, `run: --protocol: protocol "raft+nope": unknown feature "nope" of raft (known: prevote, checkquorum, readindex, lease, snapshot)`},
		{[]string{"run", "--protocol", "paxos+prevote"}, `run: --protocol: protocol "paxos+prevote": paxos has no optional features`},
		{[]string{"run", "--protocol", "raft+prevote+prevote"}, "feature prevote given twice"},
		{[]string{"sweep", "--protocol", "raft,etcd+checkquorum"}, `sweep: --protocol: protocol "etcd+checkquorum": etcd has no optional features`},
		{[]string{"shrink", "--protocol", "raft+", "--scenario", "steady", "--seed", "1"}, `shrink: --protocol: protocol "raft+": an empty feature name`},
		{[]string{"run", "--protocol", "raft+lease"}, `run: --protocol: protocol "raft+lease": raft config: LeaseReads needs`},
		{[]string{"run", "--protocol", "raft+checkquorum+readindex+lease", "--bug", "paxos-promise-omits-accepted"}, "breaks paxos, not raft+checkquorum+readindex+lease"},
	}
	for _, tt := range bad {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, _, stderr := call(tt.args...)
			assert.Equal(t, exitUsage, code)
			assert.Contains(t, stderr, tt.want)
			assert.Contains(t, stderr, "usage:")
		})
	}
}

func TestListShowsTheFeatures(t *testing.T) {
	code, stdout, _ := call("list")
	require.Equal(t, exitOK, code)
	assert.Contains(t, stdout, "raft features (after plus signs in any order")
	for _, f := range []string{"+prevote", "+checkquorum", "+readindex", "+lease", "+snapshot"} {
		assert.Contains(t, stdout, "\n  "+f+" ", f)
	}
	for _, s := range []string{"flapping-node", "leader-transfer", "read-failover", "lease-drift", "snapshot-catchup"} {
		assert.Contains(t, stdout, "\n  "+s+" ", s)
	}
}

// TestFeatureSweepMergesToTheUnshardedSweep: a sweep of a protocol with
// and without features, given in any order and spelling, has one row per
// protocol in report order, and its shards merge into the same report.
func TestFeatureSweepMergesToTheUnshardedSweep(t *testing.T) {
	sweep := []string{"--protocol", "raft+checkquorum+prevote,raft,raft+prevote+checkquorum", "--scenario", "flapping-node", "--seeds", "1:3"}
	whole := sweepInto(t, "", append([]string{"sweep", "--workers", "2", "--json", "--artifacts="}, sweep...)...)
	require.Equal(t, exitOK, whole.code, whole.stderr)
	var protocols []string
	for _, line := range strings.Split(strings.TrimSpace(whole.stdout), "\n") {
		var r struct{ Protocol string }
		require.NoError(t, json.Unmarshal([]byte(line), &r))
		protocols = append(protocols, r.Protocol)
	}
	assert.Equal(t, []string{"raft", "raft", "raft", "raft+prevote+checkquorum", "raft+prevote+checkquorum", "raft+prevote+checkquorum"}, protocols,
		"one protocol per spelling, in report order")

	table := sweepInto(t, "", append([]string{"sweep", "--workers", "2", "--artifacts="}, sweep...)...)
	require.Equal(t, exitOK, table.code, table.stderr)
	assert.Contains(t, table.stdout, "flapping-node  raft+prevote+checkquorum")

	dir := t.TempDir()
	var files []string
	for i := range 2 {
		file := filepath.Join(dir, fmt.Sprintf("shard-%d.jsonl", i))
		shard := sweepInto(t, file, append([]string{"sweep", "--workers", "2", "--json", "--artifacts=", "--shard", fmt.Sprintf("%d/2", i)}, sweep...)...)
		require.Equal(t, exitOK, shard.code, shard.stderr)
		files = append(files, file)
	}
	merged := sweepInto(t, "", append([]string{"merge", "--json"}, files...)...)
	require.Equal(t, exitOK, merged.code, merged.stderr)
	assert.Equal(t, withoutWallTime(t, whole.stdout), withoutWallTime(t, merged.stdout))
	report := sweepInto(t, "", append([]string{"merge"}, files...)...)
	require.Equal(t, exitOK, report.code, report.stderr)
	assert.Equal(t, reportBody(table.stdout), reportBody(report.stdout))
}
