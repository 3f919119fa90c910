package checker

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/consim/consim/nodes"
	"github.com/consim/consim/nodes/client"
	"github.com/consim/consim/nodes/kv"
	"github.com/consim/consim/sim"
)

// kvInput is a porcupine.Operation's Input: the command, without its
// (client, seq) identity, which lives in the Metadata.
type kvInput struct {
	Op       kv.Op
	Key      string
	Value    string
	Expected string
}

// kvOutput is a porcupine.Operation's Output: the result the client
// accepted, or Unknown when it never learned one.
type kvOutput struct {
	Unknown bool
	Value   string
	OK      bool
}

// unknownOutput is the Output of every operation of unknown outcome, boxed
// once.
var unknownOutput any = &kvOutput{Unknown: true}

// asInput reads an operation's Input: CheckLinearizable boxes a pointer into
// one slice per check (a value would allocate a box per operation); a
// kvInput value is accepted too.
func asInput(v any) kvInput {
	if p, ok := v.(*kvInput); ok {
		return *p
	}
	return v.(kvInput)
}

// asOutput reads an operation's Output, a *kvOutput or a kvOutput (see
// asInput).
func asOutput(v any) kvOutput {
	if p, ok := v.(*kvOutput); ok {
		return *p
	}
	return v.(kvOutput)
}

// kvMetadata is a porcupine.Operation's Metadata, held by pointer into one
// slice per check so that no operation allocates its own: where the
// operation came from in the client history.
type kvMetadata struct {
	// index is the operation's position in the history given to
	// CheckLinearizable.
	index int
	// client and seq identify the command; label renders them for the
	// visualization, only when one is written.
	client nodes.ID
	seq    uint64
}

// label names the operation in the visualization: c<client>#<seq>.
func (m *kvMetadata) label() string { return fmt.Sprintf("c%d#%d", m.client, m.seq) }

// KVModel is the sequential specification of the key-value store, as a
// Porcupine model partitioned by key: each partition's state is the key's
// value (a missing key reads as ""). Inputs and outputs are those made by
// CheckLinearizable.
//
//   - get returns the current value;
//   - put sets the value; append concatenates to it;
//   - cas swaps iff the current value equals Expected: a reply of ok=true
//     is legal only if it did, ok=false only if it did not;
//   - an operation of unknown outcome is always legal and takes its effect
//     (put and append apply, cas applies iff the current value equals
//     Expected), wherever Porcupine linearizes it; an operation that never
//     took effect is linearized after every other one, where its effect is
//     seen by nobody.
func KVModel() porcupine.Model {
	return porcupine.Model{
		Partition: partitionByKey,
		Init:      func() any { return "" },
		Step: func(state, input, output any) (bool, any) {
			value := state.(string)
			legal, next := kvStep(value, asInput(input), asOutput(output))
			if next == value {
				// Boxing a string allocates; an unchanged value (a get,
				// a cas that does not swap) keeps its box.
				return legal, state
			}
			return legal, next
		},
		Equal:                     func(a, b any) bool { return a.(string) == b.(string) },
		Hash:                      func(state any) uint64 { return sim.HashString(state.(string)) },
		DescribeOperation:         describeOperation,
		DescribeState:             func(state any) string { return strconv.Quote(state.(string)) },
		DescribeOperationMetadata: func(m any) string { return m.(*kvMetadata).label() },
	}
}

// kvStep is one operation of the model on one key's value.
func kvStep(value string, in kvInput, out kvOutput) (bool, string) {
	switch in.Op {
	case kv.OpNoop:
		return true, value
	case kv.OpGet:
		return out.Unknown || out.Value == value, value
	case kv.OpPut:
		return true, in.Value
	case kv.OpAppend:
		return true, value + in.Value
	case kv.OpCAS:
		swaps := value == in.Expected
		next := value
		if swaps {
			next = in.Value
		}
		return out.Unknown || out.OK == swaps, next
	default:
		return false, value
	}
}

func describeOperation(input, output any) string {
	in, out := asInput(input), asOutput(output)
	var s string
	switch in.Op {
	case kv.OpGet:
		s = fmt.Sprintf("get(%q)", in.Key)
		if !out.Unknown {
			s += fmt.Sprintf(" -> %q", out.Value)
		}
	case kv.OpCAS:
		s = fmt.Sprintf("cas(%q, %q -> %q)", in.Key, in.Expected, in.Value)
		if !out.Unknown && out.OK {
			s += " -> swapped"
		} else if !out.Unknown {
			s += " -> not swapped"
		}
	case kv.OpPut, kv.OpAppend:
		s = fmt.Sprintf("%v(%q, %q)", in.Op, in.Key, in.Value)
	default:
		s = in.Op.String()
	}
	if out.Unknown {
		s += " -> ?"
	}
	return s
}

// partitionByKey splits a history into one partition per key, keys in
// increasing order, each keeping the history's order. The partitions are
// consecutive pieces of one array: a first pass counts each key's
// operations, a second places them.
func partitionByKey(history []porcupine.Operation) [][]porcupine.Operation {
	counts := map[string]int{}
	for _, op := range history {
		counts[asInput(op.Input).Key]++
	}
	keys := make([]string, 0, len(counts))
	for key := range counts {
		keys = append(keys, key)
	}
	slices.Sort(keys)
	all := make([]porcupine.Operation, len(history))
	partitions := make([][]porcupine.Operation, len(keys))
	start := map[string]int{}
	offset := 0
	for i, key := range keys {
		partitions[i] = all[offset : offset : offset+counts[key]]
		start[key] = i
		offset += counts[key]
	}
	for _, op := range history {
		i := start[asInput(op.Input).Key]
		partitions[i] = append(partitions[i], op)
	}
	return partitions
}

// LinearizabilityResult is the verdict of CheckLinearizable.
type LinearizabilityResult struct {
	// Outcome is Ok, Illegal, or Unknown (Porcupine ran out of time).
	// Only Ok is a pass.
	Outcome porcupine.CheckResult
	// Info is Porcupine's record of the check, for WriteVisualization.
	Info porcupine.LinearizationInfo
	// Ops is the number of operations checked; Unknown is how many of
	// them had an unknown outcome. Reads of unknown outcome are left out
	// and counted in neither.
	Ops     int
	Unknown int
	// IllegalKeys are the keys whose histories are not linearizable, in
	// increasing order; set when Outcome is Illegal.
	IllegalKeys []string

	// illegalAt, illegalClients and illegalOps describe the operations
	// Porcupine could place in no partial linearization (see Violation).
	illegalAt      time.Duration
	illegalClients []nodes.ID
	illegalOps     []string
	runEnd         time.Duration
	timeout        time.Duration
	// searchBudget is the bound of a search that outgrew it (0: it did not).
	searchBudget uint64
}

// CheckLinearizable checks with Porcupine that the client history is
// linearizable with respect to KVModel. A timeout of 0 means no limit;
// otherwise the check may end Unknown.
//
// Each client.Op becomes a porcupine.Operation: ClientId is the client's
// zero-based position among the history's client ids in increasing order;
// Call is op.Call in nanoseconds; Return is op.Return when the operation
// completed.
//
// An operation of unknown outcome may take effect at any time after its
// call, or never. It gets Return = horizon, one nanosecond after the latest
// of runEnd and every call and return in the history. That is as good as an
// infinite return time: linearizability depends only on the real-time order
// of operations (a precedes b iff a returned before b was called; Porcupine
// treats [Call, Return] as closed), and no operation is called at or after
// horizon, so the operation precedes nothing, exactly as if it never
// returned; and "never took effect" is covered by linearizing it after
// every other operation, where nobody observes it. A finite horizon keeps
// the timestamps small for the visualization. Reads of unknown outcome are
// left out: they change nothing and constrain nothing. No other operation
// is left out.
func CheckLinearizable(history []client.Op, runEnd time.Duration, timeout time.Duration) LinearizabilityResult {
	return CheckLinearizableWithin(history, runEnd, timeout, 0)
}

// CheckLinearizableWithin is CheckLinearizable with Porcupine's search
// bounded to about maxBytes (0: unbounded; see searchBudget).
func CheckLinearizableWithin(history []client.Op, runEnd time.Duration, timeout time.Duration, maxBytes uint64) LinearizabilityResult {
	clients := make([]nodes.ID, 0, len(history))
	horizon := int64(runEnd)
	for _, op := range history {
		clients = append(clients, op.Client)
		horizon = max(horizon, int64(op.Call))
		if op.Completed {
			horizon = max(horizon, int64(op.Return))
		}
	}
	horizon++
	slices.Sort(clients)
	clients = slices.Compact(clients)

	result := LinearizabilityResult{runEnd: runEnd, timeout: timeout}
	operations := make([]porcupine.Operation, 0, len(history))
	// The inputs, outputs and metadata live in one slice each, and the
	// operations point into them: boxing a pointer allocates nothing.
	metadata := make([]kvMetadata, len(history))
	inputs := make([]kvInput, len(history))
	outputs := make([]kvOutput, len(history))
	for i, op := range history {
		if !op.Completed && op.Cmd.Op == kv.OpGet {
			continue
		}
		clientIndex, _ := slices.BinarySearch(clients, op.Client)
		metadata[i] = kvMetadata{index: i, client: op.Client, seq: op.Cmd.Seq}
		inputs[i] = kvInput{Op: op.Cmd.Op, Key: op.Cmd.Key, Value: op.Cmd.Value, Expected: op.Cmd.Expected}
		operation := porcupine.Operation{
			ClientId: clientIndex,
			Input:    &inputs[i],
			Call:     int64(op.Call),
			Output:   unknownOutput,
			Return:   horizon,
			Metadata: &metadata[i],
		}
		if op.Completed {
			outputs[i] = kvOutput{Value: op.Result.Value, OK: op.Result.OK}
			operation.Output = &outputs[i]
			operation.Return = int64(op.Return)
		} else {
			result.Unknown++
		}
		operations = append(operations, operation)
	}
	result.Ops = len(operations)
	model, search := KVModel(), newSearchBudget(operations, maxBytes)
	search.bound(&model)
	result.Outcome, result.Info = porcupine.CheckOperationsVerbose(model, operations, timeout)
	if search.outgrown() {
		result.Outcome, result.searchBudget = porcupine.Unknown, maxBytes
		return result
	}
	if result.Outcome == porcupine.Illegal {
		result.explainIllegal(history, partitionByKey(operations))
	}
	return result
}

// explainIllegal finds the keys whose partitions Porcupine could not
// linearize completely, and in them the completed operations that no partial
// linearization contains. Porcupine returns partitions in the order of
// partitionByKey, and partial linearizations as operation positions within
// a partition. (If a check is Illegal and also timed out, a partition cut
// short by the timeout looks illegal too.)
func (r *LinearizabilityResult) explainIllegal(history []client.Op, partitions [][]porcupine.Operation) {
	partials := r.Info.PartialLinearizations()
	var unplaced []client.Op
	for p, partition := range partitions {
		placed := make([]bool, len(partition))
		complete := false
		if p < len(partials) {
			for _, linearization := range partials[p] {
				complete = complete || len(linearization) == len(partition)
				for _, id := range linearization {
					placed[id] = true
				}
			}
		}
		if complete {
			continue
		}
		r.IllegalKeys = append(r.IllegalKeys, asInput(partition[0].Input).Key)
		for id, operation := range partition {
			op := history[operation.Metadata.(*kvMetadata).index]
			if placed[id] || !op.Completed {
				continue
			}
			unplaced = append(unplaced, op)
		}
	}
	slices.SortStableFunc(unplaced, func(a, b client.Op) int {
		if a.Return != b.Return {
			return cmp.Compare(a.Return, b.Return)
		}
		return cmp.Compare(a.Client, b.Client)
	})
	r.illegalAt = r.runEnd
	if len(unplaced) > 0 {
		r.illegalAt = unplaced[0].Return
	}
	for _, op := range unplaced {
		r.illegalClients = append(r.illegalClients, op.Client)
		if len(r.illegalOps) < 3 {
			r.illegalOps = append(r.illegalOps, op.String())
		}
	}
	r.illegalClients = involved(r.illegalClients...)
}

// Violation returns nil when the history is linearizable; a
// ClassLinearizability violation naming the failing keys when it is not;
// and a ClassUnknown violation when Porcupine ran out of time (or the result
// is the zero value), since an undecided check is never a pass.
//
// For an Illegal history, At is the earliest return among the completed
// operations that no partial linearization could place: an approximation
// of when the history stopped being linearizable (run end if there are
// none). Nodes are those operations' clients.
func (r LinearizabilityResult) Violation() *Violation {
	switch r.Outcome {
	case porcupine.Ok:
		return nil
	case porcupine.Illegal:
		detail := fmt.Sprintf("history of key(s) %s is not linearizable (%d operations checked, %d of unknown outcome)",
			quoteAll(r.IllegalKeys), r.Ops, r.Unknown)
		if len(r.illegalOps) > 0 {
			detail += "; no linearization places " + strings.Join(r.illegalOps, "; ")
		}
		return &Violation{
			Invariant: InvariantLinearizability,
			Class:     ClassLinearizability,
			At:        r.illegalAt,
			Nodes:     r.illegalClients,
			Detail:    detail,
		}
	case porcupine.Unknown:
		if r.searchBudget > 0 {
			return r.budgetViolation()
		}
		fallthrough
	default:
		detail := fmt.Sprintf("Porcupine did not decide within %v (%d operations, %d of unknown outcome): the history was not judged",
			r.timeout, r.Ops, r.Unknown)
		if r.Outcome != porcupine.Unknown {
			detail = fmt.Sprintf("no linearizability verdict (outcome %q): the history was not judged", r.Outcome)
		}
		return &Violation{
			Invariant: InvariantLinearizabilityTimeout,
			Class:     ClassUnknown,
			At:        r.runEnd,
			Detail:    detail,
		}
	}
}

func quoteAll(keys []string) string {
	quoted := make([]string, len(keys))
	for i, key := range keys {
		quoted[i] = strconv.Quote(key)
	}
	return strings.Join(quoted, ", ")
}

// WriteVisualization writes Porcupine's HTML visualization of the check to
// path, with the given annotations (faults, leader changes, ...) added.
// r.Info is not modified.
func WriteVisualization(path string, r LinearizabilityResult, annotations []porcupine.Annotation) error {
	info := r.Info
	info.AddAnnotations(annotations)
	if err := porcupine.VisualizePath(KVModel(), info, path); err != nil {
		return fmt.Errorf("writing linearizability visualization %s: %w", path, err)
	}
	return nil
}
