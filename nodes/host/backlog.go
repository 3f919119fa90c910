package host

// Backlog is how many inputs (messages and fired timers) wait for the
// paused process: what a run's memory budget counts for a long pause.
func (p *Proc) Backlog() int { return len(p.backlog) }
