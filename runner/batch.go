// Package runner runs per-host work over a fleet: rolling batches, bounded
// parallelism, a failure budget, pauses, and a graceful stop, reporting
// every step as an event.
package runner

import "fmt"

// Size is a host count, or a percentage of the fleet when Percent is set.
type Size struct {
	N       int
	Percent bool
}

// Of resolves s against a fleet of total hosts: percentages round up, so
// a batch is never empty.
func (s Size) Of(total int) int {
	if !s.Percent {
		return s.N
	}
	return (s.N*total + 99) / 100
}

// budget resolves a failure budget against total hosts: percentages round
// down, so "10%" of 5 hosts tolerates none.
func (s Size) budget(total int) int {
	if !s.Percent {
		return s.N
	}
	return s.N * total / 100
}

func (s Size) String() string {
	if s.Percent {
		return fmt.Sprintf("%d%%", s.N)
	}
	return fmt.Sprint(s.N)
}

// Batches cuts total hosts into consecutive batch sizes following ramp:
// each entry is used once, in order, and the last one repeats until every
// host is placed. An empty ramp is one batch of everyone.
func Batches(total int, ramp []Size) []int {
	var out []int
	for i := 0; total > 0; i++ {
		n := total
		if len(ramp) > 0 {
			n = ramp[min(i, len(ramp)-1)].Of(total0(out, total))
		}
		n = max(1, min(n, total))
		out = append(out, n)
		total -= n
	}
	return out
}

// total0 is the size of the whole fleet, given the batches so far and what
// is left: percentages are of the fleet, not of the remainder.
func total0(done []int, left int) int {
	for _, n := range done {
		left += n
	}
	return left
}
