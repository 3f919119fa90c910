package main

// The limits of a run on the command line: its memory budget
// (--max-memory) and Porcupine's time limit (--linearizability-timeout),
// for run, sweep and shrink; and the process's memory limit that follows
// from them. The limits on the scenario itself are checked when it is read
// (scenarios/limits.go).

import (
	"flag"
	"fmt"
	"math"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/consim/consim/checker"
	"github.com/consim/consim/scenarios"
)

// exitBudget is the exit code of a run (or a sweep whose failing runs all
// did so) that reached its memory budget and found no violation before:
// not 0, since the run was not judged to its end, and not 1, since no
// protocol broke: a CI job can tell "too big to judge, raise --max-memory"
// from "a bug was found".
const exitBudget = 3

// maxMemoryBudget bounds --max-memory: beyond any machine a sweep runs on.
const maxMemoryBudget = 1 << 40

// maxLinearizabilityTimeout bounds --linearizability-timeout.
const maxLinearizabilityTimeout = 24 * time.Hour

// limitFlags are --max-memory and --linearizability-timeout of one command.
type limitFlags struct {
	fs      *flag.FlagSet
	memory  *string
	timeout *time.Duration
}

// addLimitFlags defines --max-memory and --linearizability-timeout on fs.
func addLimitFlags(fs *flag.FlagSet) limitFlags {
	return limitFlags{
		fs:     fs,
		memory: fs.String("max-memory", "512MiB", "the memory budget of one run, as estimated from its counts (operations, disk records, queued events, the linearizability check's search): a run that reaches it stops with verdict budget (exit 3); a sweep holds about one budget per worker. In bytes or with a unit: KiB, MiB, GiB, KB, MB, GB"),
		timeout: fs.Duration("linearizability-timeout", scenarios.DefaultLinearizabilityTimeout,
			"wall time Porcupine may spend on one run's history; a check that runs out gives verdict unknown, never a pass"),
	}
}

// apply checks the flags and sets them in o; only the flags given are set,
// so that a run with the defaults reproduces without them.
func (l limitFlags) apply(o *scenarios.Options) error {
	budget, err := l.budget()
	if err != nil {
		return err
	}
	if isSet(l.fs, "max-memory") {
		o.MemoryBudget = budget
	}
	if t := *l.timeout; t <= 0 || t > maxLinearizabilityTimeout {
		return usagef("%s: --linearizability-timeout: %v, need more than 0 and at most %v", l.fs.Name(), t, maxLinearizabilityTimeout)
	}
	if isSet(l.fs, "linearizability-timeout") {
		o.LinearizabilityTimeout = *l.timeout
	}
	return nil
}

// budget is --max-memory in bytes.
func (l limitFlags) budget() (int64, error) {
	n, err := parseBytes(*l.memory)
	if err != nil {
		return 0, usagef("%s: --max-memory: %v", l.fs.Name(), err)
	}
	if n < scenarios.MinMemoryBudget || n > maxMemoryBudget {
		return 0, usagef("%s: --max-memory: %s, need %s to %s", l.fs.Name(), *l.memory,
			scenarios.FormatBytes(scenarios.MinMemoryBudget), scenarios.FormatBytes(maxMemoryBudget))
	}
	return n, nil
}

// byteUnits are the units --max-memory takes, longest first.
var byteUnits = []struct {
	suffix string
	size   float64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
	{"B", 1},
}

// parseBytes reads a size: a number of bytes, or a number (fractions
// allowed) and a unit: 512MiB, 1.5GiB, 800MB.
func parseBytes(text string) (int64, error) {
	number, size := strings.TrimSpace(text), 1.0
	for _, u := range byteUnits {
		if strings.HasSuffix(number, u.suffix) {
			number, size = strings.TrimSpace(strings.TrimSuffix(number, u.suffix)), u.size
			break
		}
	}
	value, err := strconv.ParseFloat(number, 64)
	if err != nil || value < 0 || math.IsInf(value, 0) || math.IsNaN(value) {
		return 0, fmt.Errorf("%q is not a size (such as 512MiB, 2GiB or 800MB)", text)
	}
	bytes := value * size
	if bytes > math.MaxInt64/2 {
		return 0, fmt.Errorf("%q is too large", text)
	}
	return int64(math.Round(bytes)), nil
}

// limitMemory sets the Go runtime's soft memory limit for a process that
// holds up to worlds runs of budget bytes at once, and 256MiB besides,
// unless $GOMEMLIMIT says otherwise: the garbage collector then collects
// sooner than simrun's GOGC would as the heap nears it, so that the heap
// stays near what the runs hold. (A run's kept trace, up to a quarter of
// its budget, is not counted: a sweep keeps none but for the artifacts of
// its first failing runs.)
func limitMemory(worlds int, budget int64) {
	if _, set := os.LookupEnv("GOMEMLIMIT"); set {
		return
	}
	debug.SetMemoryLimit(int64(worlds)*budget + 256<<20)
}

// stoppedByBudget reports whether r reached its memory budget.
func stoppedByBudget(r scenarios.Result) bool { return r.Verdict == string(checker.ClassBudget) }

// failureCode is the exit code of runs whose failing runs are failures:
// 1 if one of them broke a check, 3 if every one reached its budget, 0 if
// there are none.
func failureCode(failures []scenarios.Result) int {
	code := exitOK
	for _, r := range failures {
		if !stoppedByBudget(r) {
			return exitViolation
		}
		code = exitBudget
	}
	return code
}

// must returns v of a (v, err) whose err was checked before.
func must[T any](v T, err error) T {
	if err != nil {
		panic(fmt.Sprintf("simrun: %v, checked before", err))
	}
	return v
}

// failedOnly is r as a list of failures: r if it failed, else none.
func failedOnly(r scenarios.Result) []scenarios.Result {
	if r.Failed() {
		return []scenarios.Result{r}
	}
	return nil
}

// truncatedNote says, after a trace's size, that the trace was cut short.
func truncatedNote(r scenarios.Result) string {
	if r.TraceTruncated {
		return ", truncated at a quarter of the memory budget"
	}
	return ""
}
