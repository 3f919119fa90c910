package sim

import (
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// Kind names what a trace record is about.
type Kind uint8

const (
	KindSend Kind = iota + 1
	KindDeliver
	KindDrop
	KindDuplicate
	KindTimer
	KindCrash
	KindRestart
	KindFault
	KindCall
	KindReturn
	KindFact
	KindPanic
	KindHalt
)

var kindNames = [...]string{
	KindSend:      "send",
	KindDeliver:   "deliver",
	KindDrop:      "drop",
	KindDuplicate: "duplicate",
	KindTimer:     "timer",
	KindCrash:     "crash",
	KindRestart:   "restart",
	KindFault:     "fault",
	KindCall:      "call",
	KindReturn:    "return",
	KindFact:      "fact",
	KindPanic:     "panic",
	KindHalt:      "halt",
}

func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// A Record is one line of the trace.
type Record struct {
	At   time.Duration
	Kind Kind
	// From and To are node ids (0 when not applicable).
	From, To int
	// Digest is what the caller contributed to the fingerprint about the
	// record's content.
	Digest uint64
	// Detail is a human summary, filled only while tracing.
	Detail string
}

// MarshalJSON writes a record as one flat JSON object.
func (r Record) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		TimeNanos int64  `json:"t"`
		Time      string `json:"time"`
		Kind      string `json:"kind"`
		From      int    `json:"from,omitempty"`
		To        int    `json:"to,omitempty"`
		Detail    string `json:"detail,omitempty"`
	}{int64(r.At), r.At.String(), r.Kind.String(), r.From, r.To, r.Detail})
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// mix folds a 64-bit word into h: one multiply-xorshift round (the
// finalizer of splitmix64 applied to h xor x), cheap enough for every event.
func mix(h, x uint64) uint64 {
	h ^= x
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 31
	h *= 0x94d049bb133111eb
	return h ^ h>>29
}

// HashString is a 64-bit FNV-1a digest of s, for callers building a Digest.
func HashString(s string) uint64 {
	h := uint64(fnvOffset)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime
	}
	return h
}

// kindCache remembers HashString of the last few kind names a World hashed.
// Message and fact kinds are a handful of constant strings, so a hit is the
// common case, and comparing a constant string with itself stops at its
// data pointer.
type kindCache struct {
	kinds   [16]string
	digests [16]uint64
	// next is the entry the next miss overwrites.
	next int
}

// HashKind is HashString(kind), remembered for the few kind names (message
// and fact kinds) that recur on every event.
func (w *World) HashKind(kind string) uint64 {
	c := &w.kinds
	for i := range c.kinds {
		if c.kinds[i] == kind {
			return c.digests[i]
		}
	}
	d := HashString(kind)
	c.kinds[c.next], c.digests[c.next] = kind, d
	c.next = (c.next + 1) % len(c.kinds)
	return d
}

// MixDigest folds x into the digest d; callers use it to build a Digest from
// several words.
func MixDigest(d, x uint64) uint64 { return mix(d, x) }

// EnableTrace makes the World keep every record in memory. Call it before
// Run. The fingerprint is computed either way.
func (w *World) EnableTrace() { w.tracing = true }

// Tracing reports whether the full trace is kept.
func (w *World) Tracing() bool { return w.tracing }

// Note records that something happened now: it is folded into the
// fingerprint and, while tracing, kept with detail rendered by fmt.Sprint.
// Detail is formatted at once, so later mutation cannot change the trace.
func (w *World) Note(kind Kind, from, to int, digest uint64, detail any) {
	h := w.fingerprint
	h = mix(h, uint64(w.now))
	h = mix(h, uint64(kind))
	h = mix(h, uint64(from))
	h = mix(h, uint64(to))
	h = mix(h, digest)
	w.fingerprint = h
	if w.tracing && !w.traceTruncated {
		var s string
		if detail != nil {
			s = fmt.Sprint(detail)
		}
		w.keep(Record{At: w.now, Kind: kind, From: from, To: to, Digest: digest, Detail: s})
	}
}

// Fingerprint is a 64-bit digest of every record noted so far. Two runs with
// the same seed, scenario and binary have the same fingerprint.
func (w *World) Fingerprint() uint64 { return w.fingerprint }

// Trace returns the kept records (empty unless EnableTrace was called).
func (w *World) Trace() []Record { return w.trace }

// WriteTrace writes records as JSON lines.
func WriteTrace(out io.Writer, records []Record) error {
	enc := json.NewEncoder(out)
	for _, r := range records {
		if err := enc.Encode(r); err != nil {
			return err
		}
	}
	return nil
}
