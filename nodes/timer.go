package nodes

import "time"

// Rearmable is a timer a node sets again and again (an election timeout, a
// heartbeat): only its latest arming fires. The zero value is disarmed.
type Rearmable struct {
	// id is the pending timer's id; meaningful only while armed.
	id TimerID
	// arming counts the armings; the current one travels in Timer.Arg so
	// that a stale firing is recognised.
	arming uint64
	armed  bool
}

// Arm (re)sets the timer to fire after the given delay as Timer{Kind: kind}.
func (r *Rearmable) Arm(env Env, kind int, after time.Duration) {
	r.Disarm(env)
	r.arming++
	r.id = env.SetTimer(after, Timer{Kind: kind, Arg: r.arming})
	r.armed = true
}

// Disarm cancels the timer if it is pending.
func (r *Rearmable) Disarm(env Env) {
	if r.armed {
		env.CancelTimer(r.id)
		r.armed = false
	}
}

// Fired reports whether t is this timer's current arming firing, and
// disarms it if so. Call it for a fired timer of the timer's kind.
func (r *Rearmable) Fired(t Timer) bool {
	if !r.armed || t.Arg != r.arming {
		return false
	}
	r.armed = false
	return true
}

// Armed reports whether the timer is pending.
func (r *Rearmable) Armed() bool { return r.armed }
