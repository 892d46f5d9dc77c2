package plan

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/kasmfleet/push/remote/helper/docker"
	"github.com/kasmfleet/push/remote/helper/handsnat"
	"github.com/kasmfleet/push/remote/helper/hostnet"
	"github.com/kasmfleet/push/remote/helper/snat"
	"github.com/kasmfleet/push/remote/proto"
)

// SNATRules is what push's table should hold: one rule per bridge
// network with a source IP, using the subnet the spec gives or, when
// Docker chose it, the one networks reports (ok is false while a subnet
// is still unknown), plus, unless pruning, the rules of bridges the spec
// no longer names.
func SNATRules(spec proto.HostSpec, networks map[string]docker.Network, current []proto.SNATRule, prune bool) (rules []proto.SNATRule, ok bool) {
	spec = ResolveBridges(spec, networks)
	ok = true
	named := map[string]bool{}
	for _, b := range spec.Bridges {
		named[b.Bridge] = true
		if b.SourceIP == "" {
			continue
		}
		subnet := b.Subnet
		if subnet == "" {
			subnet = networks[b.Name].Subnet
		}
		if subnet == "" {
			ok = false
			continue
		}
		rules = append(rules, proto.SNATRule{Subnet: netip.MustParsePrefix(subnet).Masked().String(), Bridge: b.Bridge, SourceIP: b.SourceIP})
	}
	if !prune {
		for _, r := range current {
			if !named[r.Bridge] {
				rules = append(rules, r)
			}
		}
	}
	return snat.Sorted(rules), ok
}

// ResolveBridges returns spec with the bridge name of each network whose
// name the inventory left to push replaced by the one its existing
// network has (Docker's "br-…" for a network made by hand without one):
// SNAT rules and probes must name the bridge that carries the traffic.
func ResolveBridges(spec proto.HostSpec, networks map[string]docker.Network) proto.HostSpec {
	out := spec
	out.Bridges = append([]proto.BridgeNetwork(nil), spec.Bridges...)
	for i, b := range out.Bridges {
		if n, ok := networks[b.Name]; ok && b.BridgeDefault && n.BridgeName() != "" {
			out.Bridges[i].Bridge = n.BridgeName()
		}
	}
	return out
}

func (p *planner) snat() {
	saved := p.spec
	p.spec = ResolveBridges(p.spec, p.obs.Networks)
	defer func() { p.spec = saved }()
	want, _ := SNATRules(p.spec, p.obs.Networks, p.obs.SNAT.Rules, p.opts.Prune)
	have := map[proto.SNATRule]bool{}
	for _, r := range p.obs.SNAT.Rules {
		have[r] = true
	}
	wantSet := map[proto.SNATRule]bool{}
	changed := false
	for _, r := range want {
		wantSet[r] = true
	}
	// A rule per bridge network, even while its subnet is still unknown.
	for _, b := range p.spec.Bridges {
		if b.SourceIP == "" {
			continue
		}
		r, known := p.ruleFor(b, want)
		if hand := HandRules(p.obs.HandSNAT, r.Subnet); known && len(hand) > 0 {
			changed = true
			p.adoptSNAT(b, r, hand, have[r])
			continue
		}
		if known && have[r] {
			continue
		}
		changed = true
		s := Step{Action: proto.Action{Kind: proto.ActAddSNAT, Target: SNATTarget + " " + b.Name,
			Summary: fmt.Sprintf("source-NAT %s leaving by any interface but %s to %s (nftables %s)",
				subnetText(r.Subnet, known), b.Bridge, b.SourceIP, SNATTarget),
			Expected: ruleText(r, known), Actual: rulesOf(p.obs.SNAT.Rules, b.Bridge)}}
		if _, local := hostnet.OwnerOf(p.obs.Addresses, netip.MustParseAddr(b.SourceIP)); !local && b.AddAddress == "" {
			s.Outcome = proto.OutcomeFailed
			s.Error = fmt.Sprintf("source ip %s is not an address of this host (add it, or let push add it with add_address)", b.SourceIP)
		}
		p.add(s)
	}
	for _, r := range p.obs.SNAT.Rules {
		if wantSet[r] {
			continue
		}
		changed = true
		expected, extra := p.wantedRule(r.Bridge, want)
		p.add(Step{Action: proto.Action{Kind: proto.ActRemoveSNAT, Target: SNATTarget + " " + r.Bridge, Summary: fmt.Sprintf(
			"remove source-NAT of %s to %s (bridge %s; nftables %s)", r.Subnet, r.SourceIP, r.Bridge, SNATTarget),
			Expected: expected, Actual: ruleText(r, true), Extra: extra}})
	}
	if changed || len(want) == 0 {
		return
	}
	if !p.obs.SNAT.ChainOK || p.obs.SNAT.Foreign > 0 {
		p.add(Step{Action: proto.Action{Kind: proto.ActAddSNAT, Target: SNATTarget, Summary: fmt.Sprintf(
			"rewrite nftables %s (chain %s is not a srcnat postrouting chain, or holds %d rule(s) push did not write)",
			SNATTarget, snat.Chain, p.obs.SNAT.Foreign),
			Expected: "chain " + snat.Chain + " (srcnat postrouting) with push's rules only", Actual: chainState(p.obs.SNAT)}})
	}
}

func (p *planner) ruleFor(b proto.BridgeNetwork, want []proto.SNATRule) (proto.SNATRule, bool) {
	for _, r := range want {
		if r.Bridge == b.Bridge {
			return r, true
		}
	}
	return proto.SNATRule{Bridge: b.Bridge, SourceIP: b.SourceIP}, false
}

// wantedRule is the text of the rule the spec wants for bridge instead
// of the one there, or Absent and extra when it wants none.
func (p *planner) wantedRule(bridge string, want []proto.SNATRule) (text string, extra bool) {
	for _, b := range p.spec.Bridges {
		if b.Bridge == bridge && b.SourceIP != "" {
			return ruleText(p.ruleFor(b, want)), false
		}
	}
	return Absent, true
}

func subnetText(s string, known bool) string {
	if !known {
		return "the subnet Docker chooses"
	}
	return s
}

// HandRules are the hand-made rules for subnet.
func HandRules(rules []handsnat.Rule, subnet string) []handsnat.Rule {
	var out []handsnat.Rule
	for _, h := range rules {
		if h.Subnet.String() == subnet {
			out = append(out, h)
		}
	}
	return out
}

// adoptSNAT plans taking over the hand-made rules for r's subnet. One
// that SNATs to r's address is adopted: push's rule goes into its table
// first (in place already when inPlace), then the hand-made one and its
// removable boot copies come out. One to another address is a conflict:
// it is refused, and so is the whole host's apply.
func (p *planner) adoptSNAT(b proto.BridgeNetwork, r proto.SNATRule, hand []handsnat.Rule, inPlace bool) {
	for i := range hand {
		h := hand[i]
		s := Step{Action: proto.Action{Kind: proto.ActAdoptSNAT, Target: "hand SNAT " + h.Subnet.String() + " " + h.Origin,
			Expected: ruleText(r, true) + " in " + SNATTarget, Actual: fmt.Sprintf("%s to %s by hand (%s)", h.Subnet, h.SourceIP, h.Origin)}, Hand: &h}
		if h.SourceIP.String() != r.SourceIP {
			s.Summary = fmt.Sprintf("conflict: hand-made SNAT of %s to %s, the spec says %s (network %s)", h.Subnet, h.SourceIP, r.SourceIP, b.Name)
			s.Outcome = proto.OutcomeRefused
			s.Error = fmt.Sprintf("a hand-made rule source-NATs %s to %s, not %s as the spec says; it lives in %s. Remove it (and its boot copies) or change the spec's source ip; push refuses this host until then",
				h.Subnet, h.SourceIP, r.SourceIP, h.Where())
			p.add(s)
			continue
		}
		first := "push's rule goes into " + SNATTarget + " first"
		if inPlace {
			first = "push's rule is in " + SNATTarget + " already"
		}
		s.Summary = fmt.Sprintf("adopt SNAT of %s to %s (network %s), no change to traffic: %s, then the hand-made rule comes out (%s)%s",
			h.Subnet, h.SourceIP, b.Name, first, h.Where(), bootFate(h.Boot))
		if !p.opts.Adopt {
			s.Summary += "; needs --adopt"
		}
		p.add(s)
	}
}

// bootFate says which boot copies adoption removes and which it keeps.
func bootFate(boot []handsnat.BootCopy) string {
	var gone, kept []string
	for _, c := range boot {
		if c.Removable {
			gone = append(gone, c.String())
		} else {
			kept = append(kept, c.String())
		}
	}
	var out string
	if len(gone) > 0 {
		out += "; boot copies removed: " + strings.Join(gone, ", ")
	}
	if len(kept) > 0 {
		out += "; boot copies kept (not a line of their own, remove by hand): " + strings.Join(kept, ", ")
	}
	return out
}

// Conflicts is the error that refuses a host whose hand-made SNAT rules
// contradict the spec, or nil. apply changes nothing on such a host.
func Conflicts(steps []Step) error {
	var bad []string
	for _, s := range steps {
		if s.Kind == proto.ActAdoptSNAT && s.Outcome == proto.OutcomeRefused {
			bad = append(bad, s.Error)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return fmt.Errorf("refused: conflicting hand-made SNAT rule: %s", strings.Join(bad, "; "))
}
