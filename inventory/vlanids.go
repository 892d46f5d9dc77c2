package inventory

import (
	"fmt"
	"strconv"
	"strings"
)

// vidRanges parses a trunk's VLAN ranges ("150", "160-169"), reporting
// malformed, out-of-range and overlapping ones at their element.
func (d *decoder) vidRanges(t *Trunk, specs []string) []VIDRange {
	var out []VIDRange
	var at []int
	for i, s := range specs {
		rg, err := parseVIDRange(s)
		if err != nil {
			d.diags = append(d.diags, errorDiag(t.ItemRange("vlans", i), "Invalid VLAN range", err.Error()))
			continue
		}
		for j, prev := range out {
			if rg.Start <= prev.End && prev.Start <= rg.End {
				d.diags = append(d.diags, errorDiag(t.ItemRange("vlans", i), "Overlapping VLAN ranges",
					fmt.Sprintf("%q overlaps %q, listed before it in trunk %q.", s, specs[at[j]], t.Name)))
			}
		}
		out = append(out, rg)
		at = append(at, i)
	}
	return out
}

func parseVIDRange(s string) (VIDRange, error) {
	lo, hi, isRange := strings.Cut(strings.TrimSpace(s), "-")
	start, err1 := strconv.Atoi(strings.TrimSpace(lo))
	end, err2 := start, error(nil)
	if isRange {
		end, err2 = strconv.Atoi(strings.TrimSpace(hi))
	}
	switch {
	case err1 != nil || err2 != nil:
		return VIDRange{}, fmt.Errorf("%q is not a VLAN id or a range such as \"160-169\"", s)
	case start < 1 || start > 4094 || end < 1 || end > 4094:
		return VIDRange{}, fmt.Errorf("%q: VLAN ids are 1 to 4094", s)
	case start > end:
		return VIDRange{}, fmt.Errorf("%q starts above its end; write \"%d-%d\"", s, end, start)
	}
	return VIDRange{Start: start, End: end}, nil
}

// Covers reports whether the trunk carries VLAN id.
func (t *Trunk) Covers(id int) bool {
	for _, r := range t.Ranges {
		if id >= r.Start && id <= r.End {
			return true
		}
	}
	return false
}
