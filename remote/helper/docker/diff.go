package docker

import "fmt"

// Field is one way a network differs from the one wanted. Name is
// "driver", "option" (Key the option), "subnet", "gateway" or
// "ip-range"; Want and Got are the values, "" for none.
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
	}
	want := f.Want
	if want == "" {
		want = "none"
	}
	return fmt.Sprintf("%s %s, want %s", f.Name, orNone(f.Got), want)
}

// Differences lists how got differs from want, field by field, comparing
// only what the spec states: driver, parent and mode, subnet, gateway,
// ip-range, and the bridge name and masquerade. Both are normalized
// first. Empty fields of want (a subnet or bridge name Docker may
// choose) are not compared; nor are attachable, labels, other options or
// auxiliary addresses (push's own probe reservation included: a network
// made by hand has none, and verify does without it). A different driver
// is the only field.
func Differences(want, got Network) []Field {
	w, g := Normalize(want), Normalize(got)
	if w.Driver != g.Driver {
		return []Field{{Name: "driver", Want: w.Driver, Got: g.Driver}}
	}
	var d []Field
	for _, k := range comparedOptions(w.Driver) {
		if k == OptBridgeName && w.DefaultBridge {
			continue
		}
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
