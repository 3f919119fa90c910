package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/consim/consim/scenarios"
)

// meterInterval is how often the progress line is redrawn.
const meterInterval = 250 * time.Millisecond

// meter counts the finished runs of a sweep (or bug hunt) and, when stderr
// is a terminal, redraws one line there in place a few times a second:
// runs done of all, failing runs, seeds per second and the time left. It
// draws nothing before the first interval, so a short sweep shows nothing,
// and it blanks its line when it stops, so the report prints on a clean
// line. It lives outside every World: wall time and a goroutine are fine.
type meter struct {
	label   string
	total   int
	started time.Time
	ctx     context.Context
	// hook is the invocation's finished hook (nil for none).
	hook         func(done int)
	done, failed atomic.Int64

	// terminal is where the line is drawn; nil when it is not drawn.
	terminal io.Writer
	// width is the length of the line on the terminal, to blank it out.
	width   int
	quit    chan struct{}
	drawing sync.WaitGroup
}

// startMeter returns the meter of a sweep of total runs; it draws on the
// invocation's stderr when that is a terminal and quiet (--json) is off.
func startMeter(inv invocation, label string, total int, quiet bool) *meter {
	m := &meter{label: label, total: total, started: time.Now(), ctx: inv.ctx, hook: inv.finished}
	if quiet || !isTerminal(inv.stderr) {
		return m
	}
	m.terminal, m.quit = inv.stderr, make(chan struct{})
	m.drawing.Go(func() {
		ticker := time.NewTicker(meterInterval)
		defer ticker.Stop()
		for {
			select {
			case <-m.quit:
				m.clear()
				return
			case <-ticker.C:
				m.redraw(time.Since(m.started))
			}
		}
	})
	return m
}

// finished counts a finished run; runJobs calls it from any worker.
func (m *meter) finished(r scenarios.Result) {
	done := m.done.Add(1)
	if r.Failed() {
		m.failed.Add(1)
	}
	if m.hook != nil {
		m.hook(int(done))
	}
}

// stop blanks the line and stops drawing.
func (m *meter) stop() {
	if m.quit != nil {
		close(m.quit)
		m.drawing.Wait()
	}
}

// redraw writes the line over the one on the terminal.
func (m *meter) redraw(elapsed time.Duration) {
	line := m.line(elapsed)
	fmt.Fprintf(m.terminal, "\r%-*s", m.width, line)
	m.width = max(m.width, len(line))
}

// clear blanks the line and puts the cursor at its start.
func (m *meter) clear() {
	if m.width > 0 {
		fmt.Fprintf(m.terminal, "\r%*s\r", m.width, "")
	}
}

// line describes the progress after elapsed wall time.
func (m *meter) line(elapsed time.Duration) string {
	done, failed := m.done.Load(), m.failed.Load()
	left := "time left unknown"
	if done > 0 {
		perRun := float64(elapsed) / float64(done)
		left = time.Duration(perRun*float64(int64(m.total)-done)).Round(time.Second).String() + " left"
	}
	if m.ctx.Err() != nil {
		left = "interrupted: finishing the runs under way"
	}
	return fmt.Sprintf("%s: %d/%d seeds (%.0f%%), %d failing, %.1f seeds/s, %s",
		m.label, done, m.total, 100*float64(done)/float64(max(m.total, 1)), failed,
		float64(done)/max(elapsed.Seconds(), 1e-9), left)
}

// isTerminal reports whether w is a terminal: a character device, as a
// terminal is (so is /dev/null, where the line does no harm).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}
