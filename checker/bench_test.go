package checker

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/consim/consim/nodes"
	"github.com/consim/consim/nodes/client"
	"github.com/consim/consim/nodes/kv"
)

// linearizableHistory makes n operations of 10 concurrent clients on 10
// keys: each takes effect at a point inside its [call, return] interval, in
// point order, so the history is linearizable by construction.
func linearizableHistory(n int) []client.Op {
	rng := rand.New(rand.NewPCG(1, 2))
	type pending struct {
		op    client.Op
		point time.Duration
	}
	var ops []pending
	next := make([]time.Duration, 10)
	for i := range n {
		c := i % 10
		call := next[c] + time.Duration(rng.IntN(1000))*time.Microsecond
		ret := call + time.Duration(1+rng.IntN(5000))*time.Microsecond
		next[c] = ret
		cmd := kv.Command{Client: nodes.ID(10 + c), Seq: uint64(i/10 + 1), Key: fmt.Sprintf("k%d", rng.IntN(10))}
		switch rng.IntN(3) {
		case 0:
			cmd.Op = kv.OpGet
		case 1:
			cmd.Op, cmd.Value = kv.OpPut, fmt.Sprint(i)
		default:
			cmd.Op, cmd.Value = kv.OpAppend, fmt.Sprintf("<%d>", i)
		}
		point := call + time.Duration(rng.Int64N(int64(ret-call)))
		ops = append(ops, pending{client.Op{Client: cmd.Client, Cmd: cmd, Call: call, Return: ret, Completed: true}, point})
	}
	slices.SortFunc(ops, func(a, b pending) int { return int(a.point - b.point) })
	state := kv.NewStateMachine()
	out := make([]client.Op, len(ops))
	for i, p := range ops {
		p.op.Result, _ = state.Apply(p.op.Cmd)
		out[i] = p.op
	}
	return out
}

// BenchmarkPorcupine10k is the Porcupine check of 10,000 operations.
func BenchmarkPorcupine10k(b *testing.B) {
	history := linearizableHistory(10_000)
	end := history[len(history)-1].Return
	b.ResetTimer()
	for range b.N {
		r := CheckLinearizable(history, end, time.Minute)
		if r.Violation() != nil {
			b.Fatal(r.Violation())
		}
	}
	b.ReportMetric(float64(b.N*len(history))/b.Elapsed().Seconds(), "ops/s")
}
