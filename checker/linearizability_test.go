package checker

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/consim/consim/nodes"
	"github.com/consim/consim/nodes/client"
	"github.com/consim/consim/nodes/kv"
)

// Hand-written history operations; times are in milliseconds.

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

func done(c nodes.ID, cmd kv.Command, call, ret int, result kv.Result) client.Op {
	cmd.Client = c
	return client.Op{Client: c, Cmd: cmd, Call: ms(call), Completed: true, Return: ms(ret), Result: result}
}

func put(c nodes.ID, key, value string, call, ret int) client.Op {
	return done(c, kv.Command{Op: kv.OpPut, Key: key, Value: value}, call, ret, kv.Result{})
}

func appendOp(c nodes.ID, key, value string, call, ret int) client.Op {
	return done(c, kv.Command{Op: kv.OpAppend, Key: key, Value: value}, call, ret, kv.Result{})
}

func get(c nodes.ID, key string, call, ret int, value string) client.Op {
	return done(c, kv.Command{Op: kv.OpGet, Key: key}, call, ret, kv.Result{Value: value})
}

func cas(c nodes.ID, key, expected, value string, call, ret int, swapped bool) client.Op {
	return done(c, kv.Command{Op: kv.OpCAS, Key: key, Expected: expected, Value: value}, call, ret, kv.Result{OK: swapped})
}

// unknown turns op into one whose outcome the client never learned.
func unknown(op client.Op) client.Op {
	op.Completed = false
	op.Return = 0
	op.Result = kv.Result{}
	return op
}

func TestCheckLinearizable(t *testing.T) {
	tests := []struct {
		name    string
		history []client.Op
		want    porcupine.CheckResult
		// wantKeys are the illegal keys.
		wantKeys []string
	}{
		{name: "empty", want: porcupine.Ok},
		{
			name: "sequential put and get",
			history: []client.Op{
				put(5, "x", "1", 0, 10), get(5, "x", 20, 30, "1"), put(6, "x", "2", 40, 50), get(5, "x", 60, 70, "2"),
				get(6, "y", 0, 5, ""),
			},
			want: porcupine.Ok,
		},
		{
			name: "concurrent put and gets see old or new",
			history: []client.Op{
				put(5, "x", "1", 0, 100), get(6, "x", 10, 20, ""), get(7, "x", 30, 40, "1"), get(6, "x", 110, 120, "1"),
			},
			want: porcupine.Ok,
		},
		{
			name: "concurrent appends in either order",
			history: []client.Op{
				appendOp(5, "x", "a", 0, 50), appendOp(6, "x", "b", 10, 40), get(7, "x", 60, 70, "ba"),
			},
			want: porcupine.Ok,
		},
		{
			name: "cas swaps and fails consistently",
			history: []client.Op{
				put(5, "x", "1", 0, 10), cas(6, "x", "1", "2", 20, 30, true), cas(5, "x", "1", "3", 40, 50, false),
				get(6, "x", 60, 70, "2"),
			},
			want: porcupine.Ok,
		},
		{
			name: "unknown put shows up in a later read",
			history: []client.Op{
				unknown(put(5, "x", "1", 0, 0)), get(6, "x", 20, 30, ""), get(6, "x", 40, 50, "1"),
			},
			want: porcupine.Ok,
		},
		{
			name: "unknown put never read",
			history: []client.Op{
				unknown(put(5, "x", "1", 0, 0)), get(6, "x", 20, 30, ""), get(6, "x", 40, 50, ""),
			},
			want: porcupine.Ok,
		},
		{
			name: "unknown cas and unknown get",
			history: []client.Op{
				put(5, "x", "1", 0, 10), unknown(cas(6, "x", "1", "2", 20, 0, false)), unknown(get(7, "x", 20, 0, "")),
				get(5, "x", 40, 50, "2"),
			},
			want: porcupine.Ok,
		},
		{
			name: "stale read after a completed put",
			history: []client.Op{
				put(5, "x", "1", 0, 10), get(6, "x", 20, 30, ""),
				put(5, "y", "1", 0, 10), get(6, "y", 20, 30, "1"),
			},
			want:     porcupine.Illegal,
			wantKeys: []string{"x"},
		},
		{
			name: "lost append",
			history: []client.Op{
				appendOp(5, "x", "a", 0, 10), appendOp(6, "x", "b", 20, 30), get(7, "x", 40, 50, "b"),
			},
			want:     porcupine.Illegal,
			wantKeys: []string{"x"},
		},
		{
			name: "cas reports a failure although the value matched",
			history: []client.Op{
				put(5, "x", "1", 0, 10), cas(6, "x", "1", "2", 20, 30, false),
			},
			want:     porcupine.Illegal,
			wantKeys: []string{"x"},
		},
		{
			name: "cas reports a swap although the value differed",
			history: []client.Op{
				put(5, "x", "1", 0, 10), cas(6, "x", "0", "2", 20, 30, true),
			},
			want:     porcupine.Illegal,
			wantKeys: []string{"x"},
		},
		{
			name: "read of a value never written, on two keys",
			history: []client.Op{
				unknown(put(5, "x", "1", 0, 0)), get(6, "x", 20, 30, "zzz"),
				get(6, "a", 40, 50, "never"),
			},
			want:     porcupine.Illegal,
			wantKeys: []string{"a", "x"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := CheckLinearizable(tt.history, ms(1000), 0)
			require.Equal(t, tt.want, r.Outcome)
			assert.Equal(t, tt.wantKeys, r.IllegalKeys)
			v := r.Violation()
			if tt.want == porcupine.Ok {
				assert.Nil(t, v)
				return
			}
			require.NotNil(t, v)
			assert.Equal(t, ClassLinearizability, v.Class)
			assert.Equal(t, InvariantLinearizability, v.Invariant)
			assert.NotEmpty(t, v.Nodes)
			for _, key := range tt.wantKeys {
				assert.Contains(t, v.Detail, `"`+key+`"`)
			}
		})
	}
}

func TestCheckLinearizableCounts(t *testing.T) {
	history := []client.Op{
		put(5, "x", "1", 0, 10),
		unknown(put(6, "x", "2", 5, 0)),
		unknown(get(7, "x", 5, 0, "")), // left out
		get(7, "x", 20, 30, "2"),
	}
	r := CheckLinearizable(history, ms(100), 0)
	require.Equal(t, porcupine.Ok, r.Outcome)
	assert.Equal(t, 3, r.Ops)
	assert.Equal(t, 1, r.Unknown)
}

func TestLinearizabilityViolationAt(t *testing.T) {
	r := CheckLinearizable([]client.Op{put(5, "x", "1", 0, 10), get(6, "x", 20, 30, "")}, ms(100), 0)
	v := r.Violation()
	require.NotNil(t, v)
	assert.Equal(t, ms(30), v.At)
	assert.Equal(t, []nodes.ID{6}, v.Nodes)
	assert.Contains(t, v.Detail, `get(x)`)
}

func TestLinearizabilityUndecidedIsNeverAPass(t *testing.T) {
	for _, r := range []LinearizabilityResult{{Outcome: porcupine.Unknown}, {}} {
		v := r.Violation()
		require.NotNil(t, v)
		assert.Equal(t, ClassUnknown, v.Class)
		assert.Equal(t, InvariantLinearizabilityTimeout, v.Invariant)
	}
}

func TestKVModelStep(t *testing.T) {
	model := KVModel()
	tests := []struct {
		name   string
		state  string
		in     kvInput
		out    kvOutput
		legal  bool
		result string
	}{
		{"get current", "v", kvInput{Op: kv.OpGet, Key: "k"}, kvOutput{Value: "v"}, true, "v"},
		{"get other", "v", kvInput{Op: kv.OpGet, Key: "k"}, kvOutput{Value: "w"}, false, ""},
		{"get unknown", "v", kvInput{Op: kv.OpGet, Key: "k"}, kvOutput{Unknown: true}, true, "v"},
		{"put", "v", kvInput{Op: kv.OpPut, Key: "k", Value: "w"}, kvOutput{}, true, "w"},
		{"append unknown", "v", kvInput{Op: kv.OpAppend, Key: "k", Value: "w"}, kvOutput{Unknown: true}, true, "vw"},
		{"cas swap", "v", kvInput{Op: kv.OpCAS, Key: "k", Expected: "v", Value: "w"}, kvOutput{OK: true}, true, "w"},
		{"cas wrong swap", "u", kvInput{Op: kv.OpCAS, Key: "k", Expected: "v", Value: "w"}, kvOutput{OK: true}, false, ""},
		{"cas no swap", "u", kvInput{Op: kv.OpCAS, Key: "k", Expected: "v", Value: "w"}, kvOutput{}, true, "u"},
		{"cas wrong no swap", "v", kvInput{Op: kv.OpCAS, Key: "k", Expected: "v", Value: "w"}, kvOutput{}, false, ""},
		{"cas unknown matching", "v", kvInput{Op: kv.OpCAS, Key: "k", Expected: "v", Value: "w"}, kvOutput{Unknown: true}, true, "w"},
		{"cas unknown differing", "u", kvInput{Op: kv.OpCAS, Key: "k", Expected: "v", Value: "w"}, kvOutput{Unknown: true}, true, "u"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			legal, next := model.Step(tt.state, tt.in, tt.out)
			require.Equal(t, tt.legal, legal)
			if legal {
				assert.Equal(t, tt.result, next)
			}
			assert.NotEmpty(t, model.DescribeOperation(tt.in, tt.out))
		})
	}
	assert.Equal(t, `"v"`, model.DescribeState("v"))
	assert.True(t, model.Equal("a", "a"))
	assert.False(t, model.Equal("a", "b"))
}

func TestWriteVisualization(t *testing.T) {
	r := CheckLinearizable([]client.Op{put(5, "x", "1", 0, 10), get(6, "x", 20, 30, "")}, ms(100), 0)
	require.Equal(t, porcupine.Illegal, r.Outcome)
	path := filepath.Join(t.TempDir(), "linearizability.html")
	err := WriteVisualization(path, r, []porcupine.Annotation{{Tag: "faults", Start: int64(ms(15)), Description: "partition"}})
	require.NoError(t, err)
	html, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Contains(t, string(html), "partition")
	assert.Contains(t, string(html), "c5#0")

	err = WriteVisualization(filepath.Join(t.TempDir(), "missing", "x.html"), r, nil)
	assert.Error(t, err)
}

func TestLinearizabilityViolationIsDeterministic(t *testing.T) {
	history := []client.Op{
		put(5, "x", "1", 0, 10), get(6, "x", 20, 30, ""), get(7, "x", 20, 30, "2"),
		appendOp(5, "y", "a", 0, 10), appendOp(6, "y", "b", 5, 15), get(7, "y", 40, 50, "a"),
		put(8, "z", "1", 0, 10), get(8, "z", 20, 30, "1"),
	}
	first := CheckLinearizable(history, ms(100), 0).Violation()
	require.NotNil(t, first)
	assert.Equal(t, []nodes.ID{6, 7}, first.Nodes)
	for range 20 {
		assert.Equal(t, first, CheckLinearizable(history, ms(100), 0).Violation())
	}
}
