package scenarios

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// RegressCase is one replayed seed of a regression corpus.
type RegressCase struct {
	File   string `json:"file"`
	Seed   uint64 `json:"seed"`
	Expect string `json:"expect"`
	Result Result `json:"result"`
}

// Passed reports whether the replay gave the expected verdict.
func (c RegressCase) Passed() bool { return c.Result.Verdict == c.Expect }

// Command is the simrun command line that replays the case.
// It starts with Program.
func (c RegressCase) Command() string {
	return runCommandLine(c.Result.Protocol, c.Result.Bug, "--scenario-file "+shellWord(c.File), c.Seed)
}

// LoadCorpus reads every *.yaml file of dir, in name order; each must be a
// scenario with a regression block.
func LoadCorpus(dir string) ([]string, []Scenario, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, nil, err
	}
	if len(paths) == 0 {
		if _, err := os.Stat(dir); err != nil {
			return nil, nil, fmt.Errorf("regression corpus: %w", err)
		}
		return nil, nil, fmt.Errorf("regression corpus %s: no *.yaml files", dir)
	}
	slices.Sort(paths)
	var list []Scenario
	for _, path := range paths {
		s, err := LoadScenario(path)
		if err != nil {
			return nil, nil, err
		}
		if s.Regression == nil {
			return nil, nil, fmt.Errorf("%s: regression: a corpus file needs a regression block (protocol, seeds, expect)", path)
		}
		list = append(list, s)
	}
	return paths, list, nil
}

// Regress replays every case of the corpus in dir, one seed after another,
// and returns them all; a case passes when its verdict is the expected one.
// It returns an error only for a corpus it cannot read.
func Regress(dir string) ([]RegressCase, error) {
	paths, list, err := LoadCorpus(dir)
	if err != nil {
		return nil, err
	}
	var cases []RegressCase
	for i, s := range list {
		r := s.Regression
		expect := r.Expect
		if expect == "" {
			expect = VerdictOK
		}
		for _, seed := range r.Seeds {
			res, err := Run(s, Options{Protocol: r.Protocol, Bug: r.Bug, Seed: seed})
			if err != nil {
				return nil, fmt.Errorf("%s: %w", paths[i], err)
			}
			res.Shed()
			cases = append(cases, RegressCase{File: paths[i], Seed: seed, Expect: expect, Result: res})
		}
	}
	return cases, nil
}

// RegressSummary is a one-line account of a replayed corpus.
func RegressSummary(cases []RegressCase) string {
	failed := 0
	var lines []string
	for _, c := range cases {
		if !c.Passed() {
			failed++
			lines = append(lines, fmt.Sprintf("  FAIL %s seed %d: expected %s, got %s\n    reproduce: %s", c.File, c.Seed, c.Expect, c.Result.Verdict, c.Command()))
		}
	}
	head := fmt.Sprintf("regression corpus: %d cases, %d failed", len(cases), failed)
	return strings.Join(append([]string{head}, lines...), "\n")
}
