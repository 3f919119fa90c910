package client

import (
	"fmt"
	"time"

	"github.com/consim/consim/nodes"
	"github.com/consim/consim/nodes/kv"
)

// Op is one client operation as the history records it, the input of the
// linearizability and liveness checkers.
type Op struct {
	Client nodes.ID
	// Cmd is the command, with its (client, seq) identity.
	Cmd kv.Command
	// Call is when the client first sent the command.
	Call time.Duration
	// Completed says whether the client learned the outcome. An operation
	// whose outcome the client never learned (timed out, run ended) may
	// take effect at any time after Call; it is never recorded as failed.
	Completed bool
	// Return is when the client accepted the reply; meaningful only when
	// Completed.
	Return time.Duration
	// Result is the reply's result; meaningful only when Completed.
	Result kv.Result
}

func (o Op) String() string {
	if !o.Completed {
		return fmt.Sprintf("%v @%v -> unknown", o.Cmd, o.Call)
	}
	return fmt.Sprintf("%v @%v..%v -> value=%q ok=%v", o.Cmd, o.Call, o.Return, o.Result.Value, o.Result.OK)
}

// History collects the operations of every client of one World. Clients
// append to it; it is read after the run.
type History struct {
	Ops []Op
}
