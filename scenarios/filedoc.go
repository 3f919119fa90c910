package scenarios

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

//go:generate go test -run ^TestFieldReferenceIsCurrent$ -update

// The field reference of scenario files (docs/scenario-file.md) is made
// from the decoder's own schema (scenarioFields and the fields under it):
// its field paths, value kinds, defaults and fault actions come from there,
// so a field the decoder accepts cannot be missing from it. Only the
// sentences are written here, in fieldDocs and actionDocs; a test fails
// when a field or an action has none, when one names a field that is gone,
// and when the committed page differs from FieldReference.

// Kinds of value that hold other fields.
const (
	kindMapping = "a mapping"
	kindList    = "a list of mappings"
)

// fieldDocs says what each field of a scenario file means, by its path in
// the reference: a list's items are "faults[]", their fields
// "faults[].node".
var fieldDocs = map[string]string{
	"name":            "The scenario's name, as reports show it. Empty: the file's base name without its extension.",
	"description":     "One line on what the scenario is about; `simrun list` and the file's comment show it.",
	"servers":         "The cluster size, 1..15. Servers are nodes 1..servers.",
	"clients":         "How many simulated clients run the workload, 0..100; they are the nodes after the servers.",
	"network":         "The network's fault model for the whole run (the liveness phase turns drops, duplicates and reordering off).",
	"workload":        "What every client does. Left out, a field keeps the default below.",
	"faults":          "The fault schedule: timed actions, in any order; actions at the same time fire in file order. Every action must come before the liveness phase (duration - 2 × liveness_window). A file's list replaces the default.",
	"swarm":           "Draw an extra fault schedule from the seed (swarm testing): each seed explores its own mix of faults. `simrun show NAME --seed N` writes a seed's drawn faults as a file.",
	"duration":        "The whole run, in simulated time.",
	"liveness_window": "The bound within which operations must complete once faults stop. The last 2 × liveness_window of the run are the liveness phase: every partition heals, crashed nodes restart, the network stops losing, duplicating and reordering; an operation called before the phase's second half must complete within liveness_window of max(call, phase start).",
	"swarm_version":   "Which swarm draws a swarm scenario makes: 1 (the default, and every seed drawn before version 2 keeps its draws) or 2, which also draws transfer-leader, half the time followed 1-50ms later by a pause or isolation of the old leader.",
	"keep_faults":     "Leave partitions, crashes, pauses and drift in place when the liveness phase starts, to show what a cluster that never regains a majority looks like: a liveness failure, not a pass.",
	"regression":      "Makes the file a case of a regression corpus (`simrun regress DIR`): which protocol and seeds to replay and the verdict to expect. Runs ignore it. Absent unless the file has one.",

	"network.latency_min":       "The smallest one-way delay of a message.",
	"network.latency_tail_mean": "The mean of the exponentially distributed delay added to latency_min.",
	"network.drop_rate":         "The probability that a message is lost, 0..1.",
	"network.duplicate_rate":    "The probability that a message is delivered twice (each copy with its own latency), 0..1.",
	"network.reorder_rate":      "The probability that a message is held back by an extra delay drawn uniformly from [0, reorder_delay_max), so that later messages on the same link overtake it, 0..1.",
	"network.reorder_delay_max": "The bound of a reordered message's extra delay.",
	"network.links":             "Fault models of single links, each replacing the global one for the messages from -> to. When several match, the last wins. A file's list replaces the default.",

	"network.links[].from":              "The sending node; 0 is any node.",
	"network.links[].to":                "The receiving node; 0 is any node.",
	"network.links[].latency_min":       "As network.latency_min, for this link. Every parameter of a link replaces the global one: a zero is a zero, not \"inherit\".",
	"network.links[].latency_tail_mean": "As network.latency_tail_mean, for this link.",
	"network.links[].drop_rate":         "As network.drop_rate, for this link.",
	"network.links[].duplicate_rate":    "As network.duplicate_rate, for this link.",
	"network.links[].reorder_rate":      "As network.reorder_rate, for this link.",
	"network.links[].reorder_delay_max": "As network.reorder_delay_max, for this link.",

	"workload.keys":             "How many keys the clients use, named k0, k1, ...",
	"workload.key_distribution": "How a client draws a key: `uniform` (or empty) or `zipfian` (k0 the hottest).",
	"workload.zipf_exponent":    "The zipfian skew s, in (1, 10]; 0 means 1.2. Only read with key_distribution: zipfian.",
	"workload.mix":              "The weights of the operation kinds a client draws. A file's mix replaces the default as a whole (the kinds left out weigh 0); at least one weight must be positive.",
	"workload.burst":            "With idle, makes the load come in bursts: simulated time is cut into cycles of burst then idle from the start, and clients call new operations only during a burst (an operation in flight still completes and retries). Set both or neither; neither is a steady load.",
	"workload.idle":             "The quiet part of each burst cycle (see burst). An idle longer than an election timeout leaves the cluster nothing to do but keep its leader, which is what the stability check watches.",
	"workload.think_time_mean":  "The mean of the exponential pause between an operation's return and the client's next call.",
	"workload.timeout":          "How long a client waits for a reply before it resends the same command (same client id and sequence number) to another server.",
	"workload.backoff":          "How long a client waits after a \"not leader\" reply without a leader hint before it tries the next server.",

	"workload.mix.get":    "The weight of reads of one key.",
	"workload.mix.put":    "The weight of writes of one key.",
	"workload.mix.append": "The weight of appends to one key's value.",
	"workload.mix.cas":    "The weight of compare-and-set operations on one key.",

	"faults[].at":       "When the action fires, in simulated time since the start.",
	"faults[].action":   "What the fault does: one of the actions in the table below.",
	"faults[].node":     "The node of the actions that take one (see the table).",
	"faults[].nodes":    "The nodes of a crash or restart of several nodes; give node or nodes, not both.",
	"faults[].groups":   "The sides of a partition, e.g. [[1, 2], [3, 4, 5]]; a server in no group is cut off from every other.",
	"faults[].from":     "The sending end of a cut or a clog.",
	"faults[].to":       "The receiving end of a cut or a clog.",
	"faults[].delay":    "The extra latency of a clog (required by clog, refused by the others).",
	"faults[].duration": "The length of a pause (required by pause and pause-leader, refused by the others).",
	"faults[].factor":   "The timer speed of a drift, in (0, 100]: 2 makes a 100ms timer fire after 50ms, 0.5 after 200ms, 1 stops the drift (required by drift, refused by the others).",
	"faults[].keep":     "Keep the fault through the liveness phase, so that its servers stay down or cut off to the end of the run: only crash (with node or nodes), isolate, cut and partition can be kept, no later heal or restart may undo them, and together the kept faults must leave a majority up and connected. A protocol that needs more than a majority then fails the liveness and availability checks.",
	"faults[].disk":     "What a crash does to the disk beyond losing the writes that were not synced: `torn` (the first unsynced write survives as a prefix of itself) or `corrupt` (a synced record gets a flipped byte; a node must detect it and halt). Only the crash actions take it.",

	"regression.protocol": "The protocol to replay the seeds on (see `simrun list`), with features after plus signs.",
	"regression.bug":      "A catalog bug to switch on (see `simrun bugs --list`); it must break the protocol.",
	"regression.seeds":    "The seeds to replay: at least one.",
	"regression.expect":   "The verdict each seed must give; `ok` when empty.",
}

// actionDocs says what each fault action does.
var actionDocs = map[Action]string{
	ActPartition:               "Splits the servers into the groups.",
	ActPartitionHalves:         "Splits the servers into a lower and an upper half by id (the upper half is the larger when the size is odd).",
	ActPartitionRandomHalves:   "Splits the servers into two random halves.",
	ActPartitionMajority:       "Splits off a random minority of the servers.",
	ActPartitionLeaderMinority: "Puts the current leader, with as many others as keep it a minority, on one side, and the rest on the other.",
	ActBridge:                  "Splits the servers into two halves joined through one bridge node that sees both (node, or random when unset).",
	ActMajoritiesRing:          "Lets each server see a majority (itself and its nearest neighbours on a random ring), no two the same majority.",
	ActIsolate:                 "Cuts node off from the other servers.",
	ActIsolateLeader:           "Isolates the leader at the time the action fires.",
	ActCut:                     "Blocks the messages from -> to only.",
	ActClog:                    "Adds delay to every message between from and to, both ways.",
	ActHeal:                    "Restores every link: partitions, cuts and clogs.",
	ActCrash:                   "Crashes node, or every node of nodes; disk says what happens to their disks.",
	ActCrashLeader:             "Crashes the leader at the time the action fires (disk as for crash).",
	ActCrashMinority:           "Crashes a random minority of the servers (disk as for crash).",
	ActCrashAll:                "Crashes every server at once (disk as for crash).",
	ActRestart:                 "Restarts node (or nodes), or every crashed node when neither is set.",
	ActPause:                   "Stops node from taking any input for duration; then it handles what arrived and every overdue timer, in the order they were due.",
	ActPauseLeader:             "Pauses the leader at the time the action fires, for duration.",
	ActDrift:                   "Makes node's timers run factor times as fast.",
	ActTransferLeader:          "Asks the current leader to hand leadership to node (random when unset), Raft thesis §3.10; a protocol without transfers ignores it.",
}

// referenceEntry is one field of the reference: its path, and the field.
type referenceEntry struct {
	path  string
	field field
}

// referenceEntries lists every field of a scenario file, depth first in
// file order, bound to Base() (the defaults of a file).
func referenceEntries() []referenceEntry {
	base := Base()
	var entries []referenceEntry
	var walk func(prefix string, fields []field)
	walk = func(prefix string, fields []field) {
		for _, f := range fields {
			path := join(prefix, f.name)
			entries = append(entries, referenceEntry{path: path, field: f})
			switch {
			case f.fields == nil:
			case f.kind == kindList:
				walk(path+"[]", f.fields()) // a zero item: its fields' defaults are zero
			default:
				walk(path, f.fields())
			}
		}
	}
	walk("", scenarioFields(&base))
	return entries
}

// sections groups the reference's entries by the mapping they belong to:
// the top level ("") first, then each nested mapping in file order.
func sections(entries []referenceEntry) ([]string, map[string][]referenceEntry) {
	order := []string{""}
	bySection := map[string][]referenceEntry{}
	for _, e := range entries {
		section := parentSection(e.path)
		if !slices.Contains(order, section) {
			order = append(order, section)
		}
		bySection[section] = append(bySection[section], e)
	}
	return order, bySection
}

// parentSection is the mapping a field path belongs to: "faults[].at" ->
// "faults[]", "network.drop_rate" -> "network", "name" -> "".
func parentSection(path string) string {
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[:i]
	}
	return ""
}

// defaultText is the value a file gets for the field when it leaves it
// out, as a file would write it.
func defaultText(e referenceEntry) string {
	switch {
	case e.field.kind == kindMapping && e.path == "regression":
		return "absent"
	case e.field.kind == kindMapping && e.path != "workload.mix":
		return "see below"
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	node := e.field.encode()
	if node.Kind == yaml.MappingNode {
		node.Style = yaml.FlowStyle
	}
	if err := enc.Encode(node); err != nil {
		panic(fmt.Sprintf("scenarios: field %s: %v", e.path, err))
	}
	enc.Close()
	text := strings.TrimSpace(b.String())
	if text == "" {
		text = `""`
	}
	return "`" + text + "`"
}

// FieldReference is docs/scenario-file.md: every field a scenario file may
// set, with its value, its default and what it means, and every fault
// action. It is made from the decoder's schema (see fieldDocs); it panics
// when a field or an action has no sentence in fieldDocs or actionDocs, a
// defect the package's tests catch.
func FieldReference() []byte {
	var b bytes.Buffer
	b.WriteString(`# Scenario files: the field reference

<!-- Generated from the scenario decoder's schema by scenarios.FieldReference
(go generate ./scenarios); do not edit. TestFieldReferenceIsCurrent fails when
this page and the decoder differ. -->

A scenario file is one YAML mapping with the fields below
(` + "`simrun show NAME`" + ` prints any named scenario with every field
explicit; ` + "`simrun run --scenario-file F.yaml`" + ` runs one). Durations are Go
duration strings (` + "`1.5s`, `200ms`" + `; a bare ` + "`0`" + ` will do); node ids
are integers. A field left out, or left empty (null), takes its default:
the defaults below are those of every named scenario's starting point
(scenarios.Base), field by field inside network and workload; but
workload.mix and every list is replaced as a whole, and the fields a
list's item leaves out are zero (for a fault's node fields: unset). Unknown and repeated fields are
errors, each reported with its file, line and field path.
`)
	order, bySection := sections(referenceEntries())
	for _, section := range order {
		title := "Top level"
		switch {
		case section == "":
		case strings.HasSuffix(section, "[]"):
			title = fmt.Sprintf("`%s`: each item", section)
		default:
			title = fmt.Sprintf("`%s`", section)
		}
		fmt.Fprintf(&b, "\n## %s\n\n| field | value | default | meaning |\n|---|---|---|---|\n", title)
		for _, e := range bySection[section] {
			doc, ok := fieldDocs[e.path]
			if !ok {
				panic(fmt.Sprintf("scenarios: field %s has no sentence in fieldDocs (filedoc.go)", e.path))
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", e.field.name, e.field.kind, defaultText(e), strings.ReplaceAll(doc, "|", `\|`))
		}
		if section == "faults[]" {
			writeActions(&b)
		}
	}
	return b.Bytes()
}

// writeActions writes the table of fault actions: what each does and
// which of node, nodes, groups, from and to it reads.
func writeActions(b *bytes.Buffer) {
	b.WriteString("\n### Fault actions\n\n| action | node fields it reads | what it does |\n|---|---|---|\n")
	for _, a := range Actions {
		doc, ok := actionDocs[a]
		if !ok {
			panic(fmt.Sprintf("scenarios: action %s has no sentence in actionDocs (filedoc.go)", a))
		}
		targets := "none"
		if t := faultTargets[a]; len(t) > 0 {
			targets = "`" + strings.Join(t, "`, `") + "`"
		}
		fmt.Fprintf(b, "| `%s` | %s | %s |\n", a, targets, doc)
	}
}
