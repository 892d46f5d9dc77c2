package plan

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/kasmfleet/push/remote/helper/docker"
	"github.com/kasmfleet/push/remote/helper/snat"
	"github.com/kasmfleet/push/remote/proto"
)

// This file holds the words of Action.Expected and Action.Actual: what
// the spec wants of an object and what the host has instead, short
// enough for one cell of push check's table.

// Absent is what Expected or Actual says of an object that should not
// exist, or does not.
const Absent = "absent"

// trunkWanted is the trunk NIC's state the spec asks for.
const trunkWanted = "up, no address"

// trunkDown says what a trunk NIC that is down has: "down", or "down,
// 192.168.1.5/24" while it still holds addresses.
func trunkDown(addrs []netip.Prefix) string {
	if len(addrs) == 0 {
		return "down"
	}
	return "down, " + joinPrefixes(addrs)
}

// ruleText is an SNAT rule as a person reads it: "172.19.0.0/16 to
// 198.51.100.111" ("Docker-chosen subnet to …" while it is unknown).
func ruleText(r proto.SNATRule, known bool) string {
	if !known {
		return "Docker-chosen subnet to " + r.SourceIP
	}
	return r.Subnet + " to " + r.SourceIP
}

// rulesOf lists the text of the rules for bridge, or Absent.
func rulesOf(rules []proto.SNATRule, bridge string) string {
	var out []string
	for _, r := range rules {
		if r.Bridge == bridge {
			out = append(out, ruleText(r, true))
		}
	}
	if len(out) == 0 {
		return Absent
	}
	return strings.Join(out, "; ")
}

// chainState says what is wrong with push's SNAT chain.
func chainState(s snat.State) string {
	var out []string
	if !s.ChainOK {
		out = append(out, "chain "+snat.Chain+" missing or not a srcnat postrouting chain")
	}
	switch {
	case s.Foreign == 1:
		out = append(out, "1 rule push did not write")
	case s.Foreign > 1:
		out = append(out, fmt.Sprintf("%d rules push did not write", s.Foreign))
	}
	return strings.Join(out, "; ")
}

// unitState says why the boot unit needs installing.
func unitState(unitInstalled, linkCurrent bool) string {
	var out []string
	if !unitInstalled {
		out = append(out, "unit missing, changed or not enabled")
	}
	if !linkCurrent {
		out = append(out, "helper link missing or stale")
	}
	return strings.Join(out, "; ")
}

// networkDrift says how got differs from want, naming only the fields
// that differ: want's values in expected, got's in actual ("ip-range
// 192.0.2.16/28" / "ip-range 192.0.2.0/28"). parentMissing adds the
// VLAN parent that is gone; a network not labelled as push's says so.
func networkDrift(want, got docker.Network, parentMissing bool) (expected, actual string) {
	w, g := docker.Normalize(want), docker.Normalize(got)
	var exp, act []string
	field := func(e, a string) {
		exp = append(exp, e)
		act = append(act, a)
	}
	for _, f := range docker.Differences(w, g) {
		switch f.Name {
		case "driver":
			return Describe(w), describeFound(g)
		case "option":
			field(optionText(f.Key, f.Want), optionText(f.Key, f.Got))
		default:
			field(valueText(f.Name, f.Want), valueText(f.Name, f.Got))
		}
	}
	if p := w.Options[docker.OptParent]; parentMissing && p != "" {
		field("parent "+p+" present", "parent "+p+" missing")
	}
	if !g.Owned() {
		field("push's (created or adopted)", "made by hand")
	}
	return strings.Join(exp, ", "), strings.Join(act, ", ")
}

// describeFound is Describe for a network Docker has, whatever its driver.
func describeFound(n docker.Network) string {
	if n.Driver == "" {
		n.Driver = "no driver"
	}
	return Describe(n)
}

func optionText(key, v string) string {
	switch key {
	case docker.OptParent:
		return valueText("parent", v)
	case docker.OptIPVlanMode:
		return valueText("ipvlan mode", v)
	case docker.OptMacvlanMode:
		return valueText("macvlan mode", v)
	case docker.OptBridgeName:
		return "bridge " + orDefault(v, "chosen by Docker")
	case docker.OptMasquerade:
		switch v {
		case "false":
			return "no masquerade"
		case "true":
			return "masquerade"
		}
	}
	return valueText("option "+key, v)
}

func valueText(what, v string) string {
	if v == "" {
		return "no " + what
	}
	return what + " " + v
}
