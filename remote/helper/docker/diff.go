package docker

import (
	"fmt"
	"sort"
)

// Field is one way a network differs from the one wanted. Name is
// "driver", "option" (Key the option), "subnet", "gateway", "ip-range",
// "aux-address" (Key the host name) or "attachable"; Want and Got are
// the values, "" for none.
type Field struct {
	Name, Key, Want, Got string
}

// String is the phrase of a difference: "ip-range 192.0.2.0/28, want
// 192.0.2.16/28".
func (f Field) String() string {
	switch f.Name {
	case "driver":
		return fmt.Sprintf("driver %s, want %s", orNone(f.Got), f.Want)
	case "option":
		return fmt.Sprintf("option %s=%s, want %s", f.Key, orNone(f.Got), orNone(f.Want))
	case "attachable":
		return "not attachable, want attachable"
	case "aux-address":
		return fmt.Sprintf("aux-address %s %s, want %s", f.Key, orNone(f.Got), f.Want)
	}
	want := f.Want
	if want == "" {
		want = "none"
	}
	return fmt.Sprintf("%s %s, want %s", f.Name, orNone(f.Got), want)
}

// Differences lists how got differs from want, field by field. Both are
// normalized first. Empty fields of want (a subnet Docker may choose)
// are not compared, except the ip-range; nor are options and auxiliary
// addresses push does not set. A different driver is the only field.
func Differences(want, got Network) []Field {
	w, g := Normalize(want), Normalize(got)
	if w.Driver != g.Driver {
		return []Field{{Name: "driver", Want: w.Driver, Got: g.Driver}}
	}
	var d []Field
	for _, k := range comparedOptions(w.Driver) {
		if w.Options[k] != g.Options[k] {
			d = append(d, Field{Name: "option", Key: k, Want: w.Options[k], Got: g.Options[k]})
		}
	}
	cmp := func(name, key, want, got string) {
		if want != "" && want != got {
			d = append(d, Field{Name: name, Key: key, Want: want, Got: got})
		}
	}
	cmp("subnet", "", w.Subnet, g.Subnet)
	cmp("gateway", "", w.Gateway, g.Gateway)
	cmp("ip-range", "", w.IPRange, g.IPRange)
	if w.IPRange == "" && g.IPRange != "" {
		d = append(d, Field{Name: "ip-range", Got: g.IPRange})
	}
	keys := make([]string, 0, len(w.Aux))
	for k := range w.Aux {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		cmp("aux-address", k, w.Aux[k], g.Aux[k])
	}
	if w.Attachable && !g.Attachable {
		d = append(d, Field{Name: "attachable"})
	}
	return d
}

// Diff lists the differences as phrases, one per field.
func Diff(want, got Network) []string {
	var d []string
	for _, f := range Differences(want, got) {
		d = append(d, f.String())
	}
	return d
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
