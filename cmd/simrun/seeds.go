package main

import (
	"errors"
	"fmt"
	"math"
	"strconv"
)

// errTooLarge is a number beyond 64 bits.
var errTooLarge = errors.New("too large")

// parseCount parses a non-negative decimal integer that fits 64 bits (a
// seed, a shard index or count), saying which of the two it is not.
func parseCount(text string) (uint64, error) {
	v, err := strconv.ParseUint(text, 10, 64)
	switch {
	case errors.Is(err, strconv.ErrRange):
		return 0, fmt.Errorf("%q is %w (the largest is %d)", text, errTooLarge, uint64(math.MaxUint64))
	case err != nil:
		return 0, fmt.Errorf("%q is not a non-negative integer", text)
	}
	return v, nil
}
