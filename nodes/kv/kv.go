// Package kv is the replicated key-value state machine every protocol serves:
// commands (get, put, append, compare-and-set on string keys), their results,
// the client request and reply messages, and exactly-once application through
// per-client (client id, sequence number) sessions.
//
// The session table is part of the state machine, so it is rebuilt with the
// state when a replica replays its log after a restart: a retried command
// applies once no matter how often it is proposed.
//
// kv imports only nodes and sim (for digests).
package kv

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/consim/consim/nodes"
	"github.com/consim/consim/sim"
)

// Op is a command's operation.
type Op uint8

const (
	// OpNoop is the entry a new leader proposes (Raft §8) or a Paxos
	// leader fills gaps with; it changes nothing.
	OpNoop Op = iota
	OpGet
	OpPut
	OpAppend
	OpCAS
)

var opNames = [...]string{OpNoop: "noop", OpGet: "get", OpPut: "put", OpAppend: "append", OpCAS: "cas"}

func (o Op) String() string {
	if int(o) < len(opNames) {
		return opNames[o]
	}
	return "op(" + strconv.Itoa(int(o)) + ")"
}

// Command is one client operation, or a no-op (Client 0).
type Command struct {
	// Client and Seq identify the operation for deduplication: a client's
	// sequence numbers start at 1 and grow by one per new operation; a retry
	// reuses the number.
	Client nodes.ID
	Seq    uint64
	Op     Op
	Key    string
	// Value is the value to put or append, or the new value of a CAS.
	Value string
	// Expected is the value a CAS compares against.
	Expected string
}

// Noop is the no-op command.
var Noop = Command{Op: OpNoop}

func (c Command) String() string {
	switch c.Op {
	case OpNoop:
		return "noop"
	case OpGet:
		return fmt.Sprintf("c%d#%d get(%s)", c.Client, c.Seq, c.Key)
	case OpCAS:
		return fmt.Sprintf("c%d#%d cas(%s,%q->%q)", c.Client, c.Seq, c.Key, c.Expected, c.Value)
	default:
		return fmt.Sprintf("c%d#%d %s(%s,%q)", c.Client, c.Seq, c.Op, c.Key, c.Value)
	}
}

// Digest is a 64-bit digest of the whole command.
func (c Command) Digest() uint64 {
	d := sim.MixDigest(uint64(c.Op), uint64(c.Client))
	d = sim.MixDigest(d, c.Seq)
	d = sim.MixDigest(d, sim.HashString(c.Key))
	d = sim.MixDigest(d, sim.HashString(c.Value))
	return sim.MixDigest(d, sim.HashString(c.Expected))
}

// Result is what applying a command returned.
type Result struct {
	// Value is the value read by a get (empty for a missing key).
	Value string
	// OK is whether a CAS swapped.
	OK bool
}

// Outcome says what Apply did with a command.
type Outcome uint8

const (
	// Applied: the command was new and changed (or read) the state.
	Applied Outcome = iota
	// Duplicate: the command was the client's latest and already applied;
	// the cached result is returned.
	Duplicate
	// Stale: the client has since issued a newer command; this one is
	// ignored and nobody waits for its result.
	Stale
)

type session struct {
	seq    uint64
	result Result
}

// StateMachine is the key-value store with its session table.
type StateMachine struct {
	data     map[string]string
	sessions map[nodes.ID]session
}

// NewStateMachine returns an empty store.
func NewStateMachine() *StateMachine {
	return &StateMachine{data: map[string]string{}, sessions: map[nodes.ID]session{}}
}

// Apply applies c once per (client, seq) and returns its result.
func (s *StateMachine) Apply(c Command) (Result, Outcome) {
	if c.Op == OpNoop {
		return Result{}, Applied
	}
	if sess, ok := s.sessions[c.Client]; ok {
		if c.Seq == sess.seq {
			return sess.result, Duplicate
		}
		if c.Seq < sess.seq {
			return Result{}, Stale
		}
	}
	var r Result
	switch c.Op {
	case OpGet:
		r.Value = s.data[c.Key]
	case OpPut:
		s.data[c.Key] = c.Value
	case OpAppend:
		s.data[c.Key] += c.Value
	case OpCAS:
		if s.data[c.Key] == c.Expected {
			s.data[c.Key] = c.Value
			r.OK = true
		}
	default:
		panic(fmt.Sprintf("kv: unknown op %d", c.Op))
	}
	s.sessions[c.Client] = session{seq: c.Seq, result: r}
	return r, Applied
}

// Get reads a key directly (for checkers and tests).
func (s *StateMachine) Get(key string) string { return s.data[key] }

// Request is a client's command sent to a server.
type Request struct {
	Cmd Command
}

func (Request) Kind() string { return "kv.request" }

func (m Request) String() string { return "request " + m.Cmd.String() }

// Reply answers a Request.
type Reply struct {
	Client nodes.ID
	Seq    uint64
	// Err is empty on success; otherwise ErrNotLeader.
	Err    string
	Result Result
	// Leader is a hint: the server the replier believes leads (0 if none).
	Leader nodes.ID
}

// ErrNotLeader tells the client to try another server.
const ErrNotLeader = "not leader"

func (Reply) Kind() string { return "kv.reply" }

func (m Reply) String() string {
	if m.Err != "" {
		return fmt.Sprintf("reply c%d#%d err=%q leader=%d", m.Client, m.Seq, m.Err, m.Leader)
	}
	return fmt.Sprintf("reply c%d#%d value=%q ok=%v", m.Client, m.Seq, m.Result.Value, m.Result.OK)
}

// AppliedFact reports that a replica applied Cmd at log index (or Paxos
// slot) Index. Every replica must apply the same command at each index.
type AppliedFact struct {
	Index uint64
	Cmd   Command
}

func (AppliedFact) Kind() string { return "applied" }

func (f AppliedFact) String() string { return fmt.Sprintf("applied %d %v", f.Index, f.Cmd) }

// AppendCommand encodes c onto buf.
func AppendCommand(buf []byte, c Command) []byte {
	buf = append(buf, byte(c.Op))
	buf = appendUvarint(buf, uint64(c.Client))
	buf = appendUvarint(buf, c.Seq)
	buf = appendString(buf, c.Key)
	buf = appendString(buf, c.Value)
	return appendString(buf, c.Expected)
}

// ErrCorrupt is returned when an encoded command cannot be decoded.
var ErrCorrupt = errors.New("kv: corrupt command encoding")

// DecodeCommand decodes a command from buf and returns the rest.
func DecodeCommand(buf []byte) (Command, []byte, error) {
	var c Command
	if len(buf) < 1 {
		return c, nil, ErrCorrupt
	}
	c.Op = Op(buf[0])
	buf = buf[1:]
	var client uint64
	var err error
	if client, buf, err = readUvarint(buf); err != nil {
		return c, nil, err
	}
	c.Client = nodes.ID(client)
	if c.Seq, buf, err = readUvarint(buf); err != nil {
		return c, nil, err
	}
	if c.Key, buf, err = readString(buf); err != nil {
		return c, nil, err
	}
	if c.Value, buf, err = readString(buf); err != nil {
		return c, nil, err
	}
	if c.Expected, buf, err = readString(buf); err != nil {
		return c, nil, err
	}
	return c, buf, nil
}
