package docker

import (
	"fmt"
	"sort"
)

// Diff lists how got differs from want, one phrase per difference
// ("ip-range 192.0.2.0/28, want 192.0.2.16/28"). Both are normalized
// first. Empty fields of want (a subnet Docker may choose) are not
// compared; nor are options and auxiliary addresses push does not set.
func Diff(want, got Network) []string {
	w, g := Normalize(want), Normalize(got)
	var d []string
	if w.Driver != g.Driver {
		return []string{fmt.Sprintf("driver %s, want %s", orNone(g.Driver), w.Driver)}
	}
	for _, k := range comparedOptions(w.Driver) {
		if w.Options[k] != g.Options[k] {
			d = append(d, fmt.Sprintf("option %s=%s, want %s", k, orNone(g.Options[k]), orNone(w.Options[k])))
		}
	}
	cmp := func(what, want, got string) {
		if want != "" && want != got {
			d = append(d, fmt.Sprintf("%s %s, want %s", what, orNone(got), want))
		}
	}
	cmp("subnet", w.Subnet, g.Subnet)
	cmp("gateway", w.Gateway, g.Gateway)
	cmp("ip-range", w.IPRange, g.IPRange)
	if w.IPRange == "" && g.IPRange != "" {
		d = append(d, fmt.Sprintf("ip-range %s, want none", g.IPRange))
	}
	keys := make([]string, 0, len(w.Aux))
	for k := range w.Aux {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		cmp("aux-address "+k, w.Aux[k], g.Aux[k])
	}
	if w.Attachable && !g.Attachable {
		d = append(d, "not attachable, want attachable")
	}
	return d
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
