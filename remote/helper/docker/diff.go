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
// only what the spec states: driver, parent and mode, subnet, gateway
// (not in ipvlan l3 modes, see RoutedL3), ip-range, and the bridge name and masquerade. Both are normalized
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
	if !RoutedL3(w) {
		cmp("gateway", "", w.Gateway, g.Gateway)
	}
	cmp("ip-range", "", w.IPRange, g.IPRange)
	if w.Subnet6 != "" {
		// Without EnableIPv6 some Docker versions accept an IPv6 pool and
		// ignore it (docs#19337): a network without it is no IPv6 network.
		if !g.IPv6 {
			d = append(d, Field{Name: "ipv6", Want: "enabled", Got: "disabled"})
		}
		cmp("subnet6", "", w.Subnet6, g.Subnet6)
		if !RoutedL3(w) {
			cmp("gateway6", "", w.Gateway6, g.Gateway6)
		}
		cmp("ip-range6", "", w.IPRange6, g.IPRange6)
	}
	return d
}

// RoutedL3 reports whether n is an ipvlan network in an l3 mode, where
// Docker ignores the gateway (its containers get a default route out of
// their link: moby's ipvlan Join disables the gateway service). The
// gateway is then no difference: a network made by hand without
// --gateway, where Docker's IPAM reserved another address, matches.
func RoutedL3(n Network) bool {
	m := n.Options[OptIPVlanMode]
	return n.Driver == "ipvlan" && (m == "l3" || m == "l3s")
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
