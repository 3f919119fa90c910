// Package client is consim's simulated client: a node on the network that
// issues key-value operations to the servers, follows leader hints, retries
// on timeout with the same sequence number (so the servers' deduplication
// applies the operation once), and records every operation in a History for
// the checkers.
//
// client imports nodes and nodes/kv; never a protocol, network, checker or
// scenarios.
package client

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/consim/consim/nodes"
	"github.com/consim/consim/nodes/kv"
)

// Mix weighs the operation kinds a client draws. The zero Mix means
// DefaultMix.
type Mix struct {
	Get    int `yaml:"get"`
	Put    int `yaml:"put"`
	Append int `yaml:"append"`
	CAS    int `yaml:"cas"`
}

// DefaultMix is a read-write mix with every kind present.
var DefaultMix = Mix{Get: 40, Put: 25, Append: 25, CAS: 10}

func (m Mix) total() int { return m.Get + m.Put + m.Append + m.CAS }

// Config is one client's workload.
type Config struct {
	// Keys is the number of keys, named k0..k{Keys-1}.
	Keys int
	// KeyDistribution is how keys are drawn: "uniform" (or empty) or
	// "zipfian" (k0 the hottest).
	KeyDistribution string
	// ZipfExponent is the zipfian skew s > 1; 0 means 1.2.
	ZipfExponent float64
	// Mix weighs the operation kinds.
	Mix Mix
	// ThinkTimeMean is the mean of the exponential pause between one
	// operation's return and the next call.
	ThinkTimeMean time.Duration
	// Timeout is how long the client waits for a reply before it resends
	// the same command to another server.
	Timeout time.Duration
	// Backoff is how long the client waits after a "not leader" reply
	// without a hint before it tries the next server.
	Backoff time.Duration
	// Burst and Idle, when both are set, make the load come in bursts:
	// simulated time is cut into cycles of Burst then Idle, from 0, and a
	// client calls new operations only during a Burst; one whose think
	// time ends in an Idle waits for the next Burst (an operation in
	// flight still completes and retries). An Idle longer than an
	// election timeout leaves the cluster with nothing to do but keep
	// its leader. Zero (both): a steady load, drawn exactly as before.
	Burst time.Duration
	Idle  time.Duration
}

// Validate says what is wrong with c, naming the field.
func (c Config) Validate() error {
	switch {
	case c.Keys < 1:
		return fmt.Errorf("keys: %d, need at least 1", c.Keys)
	case c.KeyDistribution != "" && c.KeyDistribution != "uniform" && c.KeyDistribution != "zipfian":
		return fmt.Errorf("key_distribution: %q, want uniform or zipfian", c.KeyDistribution)
	case c.ZipfExponent != 0 && !(c.ZipfExponent > 1 && c.ZipfExponent <= 10):
		return fmt.Errorf("zipf_exponent: %v, want a number in (1, 10]", c.ZipfExponent)
	case c.Mix.Get < 0 || c.Mix.Put < 0 || c.Mix.Append < 0 || c.Mix.CAS < 0:
		return fmt.Errorf("mix: weights must not be negative: %+v", c.Mix)
	case c.Mix.total() > 1_000_000:
		return fmt.Errorf("mix: weights add up to %d, keep them under 1000000", c.Mix.total())
	case c.ThinkTimeMean < 0:
		return fmt.Errorf("think_time_mean: %v is negative", c.ThinkTimeMean)
	case c.Timeout <= 0:
		return fmt.Errorf("timeout: %v, must be positive", c.Timeout)
	case c.Backoff < 0:
		return fmt.Errorf("backoff: %v is negative", c.Backoff)
	case c.Burst < 0:
		return fmt.Errorf("burst: %v is negative", c.Burst)
	case c.Idle < 0:
		return fmt.Errorf("idle: %v is negative", c.Idle)
	case (c.Burst == 0) != (c.Idle == 0):
		return fmt.Errorf("burst: %v and idle: %v, set both or neither", c.Burst, c.Idle)
	}
	return nil
}

// untilBurst is how long after now the next operation may be called: 0
// inside a Burst (or without bursts), else the time to the next Burst.
func (c Config) untilBurst(now time.Duration) time.Duration {
	if c.Burst <= 0 || c.Idle <= 0 {
		return 0
	}
	into := now % (c.Burst + c.Idle)
	if into < c.Burst {
		return 0
	}
	return c.Burst + c.Idle - into
}

const (
	timerNext    = iota + 1 // issue the next operation
	timerTimeout            // Arg: seq; resend to another server
	timerBackoff            // Arg: seq; resend after a hintless "not leader"
)

// Client is a simulated client node. Clients are never crashed.
type Client struct {
	config  Config
	history *History
	env     nodes.Env
	// seq is the sequence number of the latest operation (1-based).
	seq uint64
	// current is the operation in flight; valid while busy.
	current Op
	busy    bool
	// target is the server the client believes leads.
	target nodes.ID
	// timeout is the pending timeout of the operation in flight.
	timeout nodes.TimerID
	// timeouts counts the timeouts of the operation in flight.
	timeouts int
	// zipf draws key numbers when the distribution is zipfian.
	zipf *rand.Zipf
	// lastRead remembers the last value seen per key, to give CAS a
	// plausible expected value.
	lastRead map[string]string
	// keyNames caches the key names drawn so far, by key number.
	keyNames []string
}

// New returns a client that records into history.
func New(config Config, history *History) *Client {
	if config.Mix.total() == 0 {
		config.Mix = DefaultMix
	}
	return &Client{config: config, history: history, lastRead: map[string]string{}}
}

// Start implements nodes.Node.
func (c *Client) Start(env nodes.Env) {
	c.env = env
	if c.config.KeyDistribution == "zipfian" {
		s := c.config.ZipfExponent
		if s == 0 {
			s = 1.2
		}
		c.zipf = rand.NewZipf(env.Rand(), s, 1, uint64(c.config.Keys-1))
	}
	servers := env.Servers()
	c.target = servers[env.Rand().IntN(len(servers))]
	c.env.SetTimer(c.pause(), nodes.Timer{Kind: timerNext})
}

// pause is the time until the next call: the think time, stretched to the
// next Burst when it would end in an Idle.
func (c *Client) pause() time.Duration {
	think := c.think()
	return think + c.config.untilBurst(c.env.Now()+think)
}

func (c *Client) think() time.Duration {
	if c.config.ThinkTimeMean <= 0 {
		return 0
	}
	return time.Duration(c.env.Rand().ExpFloat64() * float64(c.config.ThinkTimeMean))
}

// Timer implements nodes.Node.
func (c *Client) Timer(t nodes.Timer) {
	switch t.Kind {
	case timerNext:
		c.issue()
	case timerTimeout:
		if c.busy && t.Arg == c.seq {
			// One lost message is likelier than a lost leader: retry the
			// same server once before moving on.
			c.timeouts++
			if c.timeouts%2 == 0 {
				c.target = c.nextServer(c.target)
			}
			c.send()
		}
	case timerBackoff:
		if c.busy && t.Arg == c.seq {
			c.send()
		}
	}
}

// issue draws and sends a new operation.
func (c *Client) issue() {
	c.seq++
	c.current = Op{Client: c.env.Self(), Cmd: c.draw(), Call: c.env.Now()}
	c.busy = true
	c.timeouts = 0
	c.send()
}

func (c *Client) draw() kv.Command {
	rng := c.env.Rand()
	cmd := kv.Command{
		Client: c.env.Self(),
		Seq:    c.seq,
		Key:    c.keyName(c.key()),
	}
	m := c.config.Mix
	switch r := rng.IntN(m.total()); {
	case r < m.Get:
		cmd.Op = kv.OpGet
	case r < m.Get+m.Put:
		cmd.Op, cmd.Value = kv.OpPut, c.value("", "")
	case r < m.Get+m.Put+m.Append:
		cmd.Op, cmd.Value = kv.OpAppend, c.value("<", ">")
	default:
		cmd.Op, cmd.Value = kv.OpCAS, c.value("", "")
		cmd.Expected = c.lastRead[cmd.Key]
	}
	return cmd
}

// keyName is the name of key number i, "k<i>", made once per client.
func (c *Client) keyName(i int) string {
	for len(c.keyNames) <= i {
		c.keyNames = append(c.keyNames, "k"+strconv.Itoa(len(c.keyNames)))
	}
	return c.keyNames[i]
}

// value is the value the current operation writes: "<client>.<seq>"
// between prefix and suffix, unique to the operation.
func (c *Client) value(prefix, suffix string) string {
	buf := make([]byte, 0, 32)
	buf = append(buf, prefix...)
	buf = strconv.AppendInt(buf, int64(c.env.Self()), 10)
	buf = append(buf, '.')
	buf = strconv.AppendUint(buf, c.seq, 10)
	buf = append(buf, suffix...)
	return string(buf)
}

func (c *Client) key() int {
	if c.zipf != nil {
		return int(c.zipf.Uint64())
	}
	return c.env.Rand().IntN(c.config.Keys)
}

// send (re)sends the operation in flight to the target and arms its timeout.
func (c *Client) send() {
	c.env.CancelTimer(c.timeout)
	c.env.Send(c.target, kv.Request{Cmd: c.current.Cmd})
	c.timeout = c.env.SetTimer(c.config.Timeout, nodes.Timer{Kind: timerTimeout, Arg: c.seq})
}

func (c *Client) nextServer(after nodes.ID) nodes.ID {
	servers := c.env.Servers()
	for i, s := range servers {
		if s == after {
			return servers[(i+1)%len(servers)]
		}
	}
	return servers[0]
}

// Receive implements nodes.Node.
func (c *Client) Receive(from nodes.ID, m nodes.Message) {
	reply, ok := m.(kv.Reply)
	if !ok || !c.busy || reply.Seq != c.seq || reply.Client != c.env.Self() {
		return // late, duplicated or foreign
	}
	if reply.Err != "" {
		c.redirect(from, reply.Leader)
		return
	}
	c.env.CancelTimer(c.timeout)
	c.current.Completed = true
	c.current.Return = c.env.Now()
	c.current.Result = reply.Result
	c.remember(c.current)
	c.history.Ops = append(c.history.Ops, c.current)
	c.busy = false
	c.env.SetTimer(c.pause(), nodes.Timer{Kind: timerNext})
}

// redirect follows a "not leader" reply: to the hinted leader at once, or
// to the next server after a backoff.
func (c *Client) redirect(from, hint nodes.ID) {
	if hint != 0 && hint != from {
		c.target = hint
		c.send()
		return
	}
	c.target = c.nextServer(from)
	c.env.CancelTimer(c.timeout)
	c.timeout = c.env.SetTimer(c.config.Backoff, nodes.Timer{Kind: timerBackoff, Arg: c.seq})
}

func (c *Client) remember(op Op) {
	switch op.Cmd.Op {
	case kv.OpGet:
		c.lastRead[op.Cmd.Key] = op.Result.Value
	case kv.OpPut:
		c.lastRead[op.Cmd.Key] = op.Cmd.Value
	case kv.OpCAS:
		if op.Result.OK {
			c.lastRead[op.Cmd.Key] = op.Cmd.Value
		}
	}
}

// Pending returns the operation in flight, whose outcome the client has
// not learned, if any. The runner records it as unknown when the run ends.
func (c *Client) Pending() (Op, bool) { return c.current, c.busy }
