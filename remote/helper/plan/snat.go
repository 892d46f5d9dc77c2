package plan

import (
	"fmt"
	"net/netip"

	"github.com/kasmfleet/push/remote/helper/docker"
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

func (p *planner) snat() {
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
