package primarybackup

import (
	"fmt"

	"github.com/consim/consim/nodes/kv"
)

// The messages between servers, both one-way. Messages are values that
// nobody mutates after Send: the network may deliver one twice.

// Ping says that the sender is alive, has applied indexes 1..Applied, and
// whether it serves as primary.
type Ping struct {
	Applied uint64
	Primary bool
}

// Update is the primary pushing Cmds[k], which it applied at index First+k.
type Update struct {
	First uint64
	Cmds  []kv.Command
}

func (Ping) Kind() string   { return "pb.ping" }
func (Update) Kind() string { return "pb.update" }

func (m Ping) String() string { return fmt.Sprintf("ping applied=%d primary=%v", m.Applied, m.Primary) }

func (m Update) String() string {
	const maxShown = 4
	shown := fmt.Sprint(m.Cmds[:min(len(m.Cmds), maxShown)])
	if len(m.Cmds) > maxShown {
		shown = shown[:len(shown)-1] + " ...]"
	}
	return fmt.Sprintf("update first=%d cmds=%d %s", m.First, len(m.Cmds), shown)
}
