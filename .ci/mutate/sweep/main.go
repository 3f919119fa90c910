// Command sweep is the mutation tester's sweep: every named scenario of the
// given protocols over a seed range, on all cores, stopping at the first run
// that fails (exit 1, the run's verdict and reproduce command on stdout).
// simrun sweep runs every seed to the end to report them all; a mutant needs
// only one failing run to be killed.
//
//	go run ./.ci/mutate/sweep raft,paxos 1:20
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/consim/consim/scenarios"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: sweep PROTOCOL[,PROTOCOL...] A:B")
		os.Exit(2)
	}
	first, last, err := seedRange(os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, "sweep:", err)
		os.Exit(2)
	}
	type job struct {
		protocol string
		scenario scenarios.Scenario
		seed     uint64
	}
	jobs := make(chan job)
	var failed atomic.Bool
	var once sync.Once
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				res, err := scenarios.Run(j.scenario, scenarios.Options{Protocol: j.protocol, Seed: j.seed})
				if err != nil || res.Failed() {
					failed.Store(true)
					once.Do(func() {
						if err != nil {
							fmt.Println("error:", err)
							return
						}
						fmt.Printf("violation: %s: %s\n", res.Verdict, res.ReproduceCommand())
						for _, v := range res.Violations {
							fmt.Println(strings.SplitN(v.String(), "\n", 2)[0])
						}
					})
				}
			}
		}()
	}
feed:
	for _, protocol := range strings.Split(os.Args[1], ",") {
		for _, name := range scenarios.Names() {
			s, err := scenarios.Named(name)
			if err != nil {
				panic(err)
			}
			for seed := first; seed <= last; seed++ {
				if failed.Load() {
					break feed
				}
				jobs <- job{protocol, s, seed}
			}
		}
	}
	close(jobs)
	wg.Wait()
	if failed.Load() {
		os.Exit(1)
	}
	fmt.Println("ok")
}

func seedRange(text string) (uint64, uint64, error) {
	a, b, ok := strings.Cut(text, ":")
	first, err1 := strconv.ParseUint(a, 10, 64)
	last, err2 := strconv.ParseUint(b, 10, 64)
	if !ok || err1 != nil || err2 != nil || first > last {
		return 0, 0, fmt.Errorf("seed range %q: want A:B with A <= B", text)
	}
	return first, last, nil
}
