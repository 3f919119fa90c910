package primarybackup

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/consim/consim/nodes"
	"github.com/consim/consim/nodes/kv"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(*Config)
		wantErr string
	}{
		{"default", func(*Config) {}, ""},
		{"zero ping", func(c *Config) { c.PingInterval = 0 }, "PingInterval must be positive"},
		{"timeout not above ping", func(c *Config) { c.FailureTimeout = c.PingInterval }, "FailureTimeout (50ms) must be greater than PingInterval (50ms)"},
		{"no commands per message", func(c *Config) { c.MaxCommandsPerMessage = 0 }, "MaxCommandsPerMessage must be at least 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			tt.edit(&c)
			err := c.Validate()
			if tt.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			assert.ErrorContains(t, err, tt.wantErr)
		})
	}
}

func TestStartTakesTheRoleOfItsID(t *testing.T) {
	tests := []struct {
		self nodes.ID
		role nodes.Role
	}{
		{1, nodes.RoleLeader},
		{2, nodes.RoleFollower},
	}
	for _, tt := range tests {
		t.Run(tt.self.String(), func(t *testing.T) {
			env := newEnv(t, tt.self, 3)
			New(DefaultConfig()).Start(env)

			assert.Equal(t, []nodes.Fact{nodes.RoleChanged{Role: tt.role}}, env.takeFacts())
			primary := tt.role == nodes.RoleLeader
			for _, id := range env.servers {
				if id != tt.self {
					assert.Equal(t, []Ping{{Primary: primary}}, sentTo[Ping](env.sent, id))
				}
			}
			require.Len(t, env.timers, 1)
			assert.Equal(t, DefaultConfig().PingInterval, env.timers[0].at)
		})
	}
}

func TestPrimaryAnswersBeforeAnyBackupHasTheWrite(t *testing.T) {
	env := newEnv(t, 1, 3)
	n := startNode(env)
	a := put(8, 1, "k", "a")

	n.Receive(8, kv.Request{Cmd: a})

	sent := env.takeSent()
	assert.Equal(t, []kv.Reply{{Client: 8, Seq: 1, Leader: 1}}, sentTo[kv.Reply](sent, 8))
	for _, id := range []nodes.ID{2, 3} {
		assert.Equal(t, []Update{{First: 1, Cmds: []kv.Command{a}}}, sentTo[Update](sent, id), "pushed, not awaited")
	}
	assert.Equal(t, []nodes.Fact{kv.AppliedFact{Index: 1, Cmd: a}}, env.takeFacts())
	log, torn := replay(env.disk.Records())
	assert.Equal(t, []kv.Command{a}, log, "durable before the reply (the env checks the sync)")
	assert.False(t, torn)

	n.Receive(9, kv.Request{Cmd: get(9, 1, "k")})
	assert.Equal(t, []kv.Reply{{Client: 9, Seq: 1, Result: kv.Result{Value: "a"}, Leader: 1}}, sentTo[kv.Reply](env.takeSent(), 9))
}

func TestBackupRedirectsClients(t *testing.T) {
	env := newEnv(t, 2, 3)
	n := startNode(env)
	req := kv.Request{Cmd: put(8, 1, "k", "a")}

	n.Receive(8, req)
	assert.Equal(t, []kv.Reply{{Client: 8, Seq: 1, Err: kv.ErrNotLeader}}, msgsOf[kv.Reply](env.takeSent()),
		"no server said it serves yet")

	n.Receive(1, Ping{Primary: true})
	n.Receive(8, req)
	assert.Equal(t, []kv.Reply{{Client: 8, Seq: 1, Err: kv.ErrNotLeader, Leader: 1}}, msgsOf[kv.Reply](env.takeSent()))
	assert.Empty(t, factsOf[kv.AppliedFact](env.takeFacts()))
}

func TestBackupAppliesThePrimarysUpdatesInOrder(t *testing.T) {
	env := newEnv(t, 2, 3)
	n := startNode(env)
	a, b, c := put(8, 1, "k", "a"), put(8, 2, "k", "b"), put(8, 3, "k", "c")
	other := put(9, 1, "k", "other")

	n.Receive(1, Update{First: 1, Cmds: []kv.Command{a}})
	n.Receive(1, Update{First: 3, Cmds: []kv.Command{c}})        // a gap: waits for the catch-up
	n.Receive(1, Update{First: 1, Cmds: []kv.Command{a, b}})     // a is not applied twice
	n.Receive(3, Update{First: 3, Cmds: []kv.Command{other}})    // not from the primary
	n.Receive(1, Update{First: 2, Cmds: []kv.Command{other, c}}) // index 2 is taken; c extends

	assert.Equal(t, []kv.AppliedFact{{Index: 1, Cmd: a}, {Index: 2, Cmd: b}, {Index: 3, Cmd: c}},
		factsOf[kv.AppliedFact](env.takeFacts()))
	assert.Equal(t, "c", n.sm.Get("k"))
	log, _ := replay(env.disk.Records())
	assert.Equal(t, []kv.Command{a, b, c}, log)
	assert.Empty(t, env.takeSent(), "a backup answers nothing")
}

func TestPrimaryCatchesUpALaggingBackup(t *testing.T) {
	env := newEnv(t, 1, 3)
	cfg := DefaultConfig()
	cfg.MaxCommandsPerMessage = 2
	n := New(cfg)
	n.Start(env)
	cmds := []kv.Command{put(8, 1, "k", "a"), put(8, 2, "k", "b"), put(8, 3, "k", "c")}
	for _, cmd := range cmds {
		n.Receive(8, kv.Request{Cmd: cmd})
	}
	env.takeSent()

	n.Receive(2, Ping{Applied: 0})
	n.Receive(3, Ping{Applied: 2})
	n.Receive(3, Ping{Applied: 3})

	sent := env.takeSent()
	assert.Equal(t, []Update{{First: 1, Cmds: cmds[:2]}}, sentTo[Update](sent, 2), "at most two per message")
	assert.Equal(t, []Update{{First: 3, Cmds: cmds[2:]}}, sentTo[Update](sent, 3))
}

// heartbeats fires n's ping timer until the clock reaches until, with the
// given servers pinging n (as backups) at every firing.
func heartbeats(n *Node, env *fakeEnv, until time.Duration, from ...nodes.ID) {
	for env.Now() < until {
		for _, id := range from {
			n.Receive(id, Ping{})
		}
		env.firePing(n)
	}
}

func TestBackupTakesOverByTimeout(t *testing.T) {
	env := newEnv(t, 2, 3)
	n := startNode(env)

	heartbeats(n, env, DefaultConfig().FailureTimeout-DefaultConfig().PingInterval, 3)
	assert.Equal(t, nodes.RoleFollower, n.role, "n1 is not yet taken for dead")
	heartbeats(n, env, DefaultConfig().FailureTimeout, 3)

	assert.Equal(t, nodes.RoleLeader, n.role)
	assert.Equal(t, []nodes.RoleChanged{{Role: nodes.RoleLeader}}, factsOf[nodes.RoleChanged](env.takeFacts()))
	pings := sentTo[Ping](env.takeSent(), 3)
	require.NotEmpty(t, pings)
	assert.Equal(t, Ping{Primary: true}, pings[len(pings)-1], "the ping of the firing that took over says so")
	n.Receive(8, kv.Request{Cmd: put(8, 1, "k", "a")})
	assert.Equal(t, []kv.Reply{{Client: 8, Seq: 1, Leader: 2}}, sentTo[kv.Reply](env.takeSent(), 8))
}

func TestPrimaryOfAMinorityStepsDown(t *testing.T) {
	env := newEnv(t, 1, 3)
	n := startNode(env)

	heartbeats(n, env, DefaultConfig().FailureTimeout) // nobody answers

	assert.Equal(t, nodes.RoleFollower, n.role)
	n.Receive(8, kv.Request{Cmd: put(8, 1, "k", "a")})
	assert.Equal(t, []kv.Reply{{Client: 8, Seq: 1, Err: kv.ErrNotLeader}}, sentTo[kv.Reply](env.takeSent(), 8))

	n.Receive(3, Ping{})
	assert.Equal(t, nodes.RoleLeader, n.role, "a majority again")
	assert.Equal(t, []nodes.RoleChanged{{Role: nodes.RoleFollower}, {Role: nodes.RoleLeader}}, factsOf[nodes.RoleChanged](env.takeFacts()))
}

// TestReturningPrimaryForksTheLog is why this is not consensus: n2 took over
// while n1 was cut off and applied b at index 1; n1, back with its own a at
// index 1, is the lowest id and takes over at once. n2 follows it, and the
// two replicas keep different commands at index 1.
func TestReturningPrimaryForksTheLog(t *testing.T) {
	env := newEnv(t, 2, 3)
	n := startNode(env)
	heartbeats(n, env, DefaultConfig().FailureTimeout, 3)
	require.Equal(t, nodes.RoleLeader, n.role)
	b := put(8, 1, "k", "b")
	n.Receive(8, kv.Request{Cmd: b})
	env.takeSent()
	env.takeFacts()

	n.Receive(1, Ping{Applied: 1, Primary: true})
	n.Receive(1, Update{First: 1, Cmds: []kv.Command{put(9, 1, "k", "a")}})
	n.Receive(8, kv.Request{Cmd: put(8, 2, "k", "c")})

	assert.Equal(t, nodes.RoleFollower, n.role)
	assert.Equal(t, []kv.Command{b}, n.log, "n1's a at index 1 is ignored")
	assert.Equal(t, "b", n.sm.Get("k"))
	assert.Equal(t, []kv.Reply{{Client: 8, Seq: 2, Err: kv.ErrNotLeader, Leader: 1}}, msgsOf[kv.Reply](env.takeSent()))
	assert.Equal(t, []nodes.RoleChanged{{Role: nodes.RoleFollower}}, factsOf[nodes.RoleChanged](env.takeFacts()))
}

func TestRecoveryReplaysTheLog(t *testing.T) {
	env := newEnv(t, 2, 3)
	n := startNode(env)
	a, b := put(8, 1, "k", "a"), put(8, 2, "k", "b")
	n.Receive(1, Update{First: 1, Cmds: []kv.Command{a, b}})

	env.disk.Crash()
	env2 := env.restartEnv()
	n2 := New(DefaultConfig())
	n2.Start(env2)

	assert.Equal(t, []nodes.Fact{
		kv.AppliedFact{Index: 1, Cmd: a},
		kv.AppliedFact{Index: 2, Cmd: b},
		nodes.RoleChanged{Role: nodes.RoleFollower},
	}, env2.takeFacts())
	assert.Equal(t, "b", n2.sm.Get("k"))
	assert.Equal(t, []Ping{{Applied: 2}}, sentTo[Ping](env2.takeSent(), 1))
}

func TestRecoveryDropsATornTail(t *testing.T) {
	env := newEnv(t, 2, 3)
	a := put(8, 1, "k", "a")
	env.disk.Append(encodeCommand(a))
	full := encodeCommand(put(8, 2, "k", "b"))
	env.disk.Append(full[:len(full)-2])
	env.disk.Sync()

	n := startNode(env)

	assert.Equal(t, []kv.Command{a}, n.log)
	assert.Len(t, env.disk.Records(), 1, "rewritten so that nothing follows the bad record")
}

func TestRecoveryHaltsOnACorruptRecordInTheMiddle(t *testing.T) {
	env := newEnv(t, 2, 3)
	bad := encodeCommand(put(8, 1, "k", "a"))
	bad[2] ^= 0x5a
	env.disk.Append(bad)
	env.disk.Append(encodeCommand(put(8, 2, "k", "b")))
	env.disk.Sync()

	assert.PanicsWithValue(t, nodes.CorruptStorage{Record: 0, Reason: "primary-backup: record 0 of 2: primary-backup: corrupt storage record"}, func() {
		New(DefaultConfig()).Start(env)
	})
}
