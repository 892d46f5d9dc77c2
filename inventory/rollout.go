package inventory

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseBatch reads a host count ("5") or a percentage of the fleet
// ("25%"). Zero is allowed only where allowZero says so (max_failures).
func ParseBatch(s string, allowZero bool) (Batch, error) { return parseBatch(s, allowZero) }

func parseBatch(s string, allowZero bool) (Batch, error) {
	t := strings.TrimSpace(s)
	pct := strings.HasSuffix(t, "%")
	n, err := strconv.Atoi(strings.TrimSuffix(t, "%"))
	switch {
	case err != nil:
		return Batch{}, fmt.Errorf("%q is neither a count such as \"5\" nor a percentage such as \"25%%\"", s)
	case n < 0 || (n == 0 && !allowZero):
		return Batch{}, fmt.Errorf("%q must be at least %d", s, map[bool]int{true: 0, false: 1}[allowZero])
	case pct && n > 100:
		return Batch{}, fmt.Errorf("%q is more than 100%%", s)
	}
	return Batch{N: n, Percent: pct}, nil
}

// String renders a batch as written.
func (b Batch) String() string {
	if b.Percent {
		return strconv.Itoa(b.N) + "%"
	}
	return strconv.Itoa(b.N)
}
