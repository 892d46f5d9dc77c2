package inventory

import (
	"fmt"
	"path"
	"slices"
	"strings"
)

// group checks a group's references.
func (v *validator) group(g *Group) {
	for i, pat := range g.Agents {
		if !isGlob(pat) {
			if v.inv.Agent(pat) == nil {
				v.undefined(g.ItemRange("agents", i), "agent", pat)
			}
			continue
		}
		if _, err := path.Match(pat, ""); err != nil {
			v.errorf(g.ItemRange("agents", i), "Invalid agent pattern", "%q is not a valid glob pattern.", pat)
			continue
		}
		if !slices.ContainsFunc(v.inv.Agents, func(a *Agent) bool { return matches(pat, a.Name) }) {
			v.warnf(g.ItemRange("agents", i), "Pattern matches no agent", "No agent name matches %q.", pat)
		}
	}
	v.servesRefs(&g.Block, g.Serves)
}

// servesRefs checks that every network a group or agent names exists.
func (v *validator) servesRefs(b *Block, s Serves) {
	for i, n := range s.VLANs {
		if v.vlanNamed(n) == nil {
			v.undefined(b.ItemRange("vlans", i), "vlan", n)
		}
	}
	for i, n := range s.Egress {
		if v.egressNamed(n) == nil {
			v.undefined(b.ItemRange("egress", i), "egress", n)
		}
	}
	for i, n := range s.Bridges {
		if v.bridgeNamed(n) == nil {
			v.undefined(b.ItemRange("bridges", i), "bridge", n)
		}
	}
}

// agents resolves and checks every agent, then what agents share.
func (v *validator) agents() {
	for _, a := range v.inv.Agents {
		v.ssh(&a.Block, a.SSH)
		v.address(a)
		v.servesRefs(&a.Block, a.Serves)
		v.resolve(a)
		v.hostInterfaces(a)
		v.ownAddress(a)
	}
	v.sharedHosts()
	v.sharedSlices()
	v.sharedSources()
}

// sharedHosts finds two agents reached at one address and port, or on one
// VM.
func (v *validator) sharedHosts() {
	endpoints := map[string]*Agent{}
	vms := map[string]*Agent{}
	for _, a := range v.inv.Agents {
		ep := fmt.Sprintf("%s:%d", a.Address, a.SSH.Port)
		if first, dup := endpoints[ep]; dup && a.Address != "" {
			v.errorf(a.Range("address"), "Duplicate agent address",
				"Agent %q is reached at the same address and port as agent %q.", a.Name, first.Name)
		} else {
			endpoints[ep] = a
		}
		if a.BareMetal && a.Has("vm") {
			v.errorf(a.Range("vm"), "Bare-metal agent with a VM",
				"Agent %q is bare_metal = true and names vm %q; a bare-metal agent has no VM. Remove one of the two.", a.Name, a.VM)
			continue
		}
		if first, dup := vms[a.VM]; dup && a.VM != "" {
			rng := a.NameRange
			if a.Has("vm") {
				rng = a.Range("vm")
			}
			v.errorf(rng, "Duplicate VM",
				"Agents %q and %q are both VM %q; one VM is one agent, with one trunk NIC.", first.Name, a.Name, a.VM)
		} else {
			vms[a.VM] = a
		}
	}
}

// resolve fills a.Networks from its groups and its own lists.
func (v *validator) resolve(a *Agent) {
	var s Serves
	var vlans []servedVLAN
	for _, g := range v.inv.Groups {
		if slices.ContainsFunc(g.Agents, func(p string) bool { return matches(p, a.Name) }) {
			s = s.add(g.Serves)
			vlans = v.servedVLANs(vlans, &g.Block, g.VLANs)
		}
	}
	s = s.add(a.Serves)
	vlans = v.servedVLANs(vlans, &a.Block, a.Serves.VLANs)
	unknown := v.servesUnreadable(&a.Block)
	if len(s.VLANs)+len(s.Egress)+len(s.Bridges) == 0 && !unknown {
		v.warnf(a.NameRange, "Agent serves no network", "Agent %q is in no group and lists no networks; push will leave it alone.", a.Name)
	}
	if !unknown {
		v.keysServed(a, "ip_ranges", s.VLANs, "vlan")
		v.keysServed(a, "source_ips", s.Egress, "egress")
	}
	v.agentVLANs(a, vlans)
	for _, e := range s.Egress {
		if eg := v.egressNamed(e); eg != nil {
			a.Networks.Egress = append(a.Networks.Egress, v.agentEgress(a, eg))
		}
	}
	for _, b := range s.Bridges {
		if br := v.bridgeNamed(b); br != nil {
			a.Networks.Bridges = append(a.Networks.Bridges, br)
		}
	}
}

// servesUnreadable reports whether what agent b serves is unknown because
// a list naming networks (its own, or any group's) could not be read.
func (v *validator) servesUnreadable(b *Block) bool {
	unreadable := func(b *Block) bool {
		return b.unreadable("agents") || b.unreadable("vlans") || b.unreadable("egress") || b.unreadable("bridges")
	}
	return unreadable(b) || slices.ContainsFunc(v.inv.Groups, func(g *Group) bool { return unreadable(&g.Block) })
}

func (s Serves) add(o Serves) Serves {
	return Serves{VLANs: union(s.VLANs, o.VLANs), Egress: union(s.Egress, o.Egress), Bridges: union(s.Bridges, o.Bridges)}
}

func union(a, b []string) []string {
	for _, x := range b {
		if !slices.Contains(a, x) {
			a = append(a, x)
		}
	}
	return a
}

// agentEgress resolves a's source address for eg.
func (v *validator) agentEgress(a *Agent, eg *Egress) AgentEgress {
	src, own := a.SourceIPs[eg.Name]
	switch {
	case own && !eg.unreadable("add_address"):
		v.sourceIP(a.KeyRange("source_ips", eg.Name), src, eg)
	case !own && !a.unreadable("source_ips"): // else unknown, and reported
		src = eg.SourceIP
	}
	if src == "" && !a.unreadable("source_ips") && !eg.unreadable("source_ip") {
		v.errorf(a.DefRange, "Missing source address",
			"Agent %q serves egress %q, which has no source_ip: set source_ips = { %s = \"ADDRESS\" } here, or source_ip in the egress.", a.Name, eg.Name, eg.Name)
	}
	return AgentEgress{Egress: eg, SourceIP: src}
}

// keysServed reports keys of a per-network map that a does not serve,
// suggesting a served name the key may misspell. Such a key marks the map
// unreadable: the slot or source address it was meant to replace is not
// also reported missing.
func (v *validator) keysServed(a *Agent, attr string, served []string, kind string) {
	for i, k := range a.keys[attr] {
		if slices.Contains(served, k) {
			continue
		}
		a.invalid[attr] = true
		hint := ""
		if s := closest(k, served); s != "" {
			hint = fmt.Sprintf(" Did you mean %q?", s)
		}
		v.errorf(a.ItemRange(attr, i), "Not served by this agent",
			"Agent %q does not serve %s %q (through its groups or its own lists), so %s[%q] has no effect.%s", a.Name, kind, k, attr, k, hint)
	}
}

// closest is the name in names nearest to s by at most two edits, or "".
func closest(s string, names []string) string {
	best, dist := "", 3
	for _, n := range names {
		if d := editDistance(s, n); d < dist {
			best, dist = n, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// sharedSources finds two agents leaving with one source address, or an
// agent leaving with another agent's own address.
func (v *validator) sharedSources() {
	hosts := map[string]*Agent{}
	for _, a := range v.inv.Agents {
		hosts[a.Address] = a
	}
	seen := map[string]*Agent{}
	for _, a := range v.inv.Agents {
		for _, e := range a.Networks.Egress {
			ip, _, _ := strings.Cut(e.SourceIP, "/")
			first, dup := seen[ip]
			if !dup {
				seen[ip] = a
			}
			switch host := hosts[ip]; {
			case ip == "":
			case host != nil && host != a:
				why := "this host does not hold it, so its SNAT rule fails (or, if it does, the two hosts take turns answering ARP for it)"
				if e.AddAddress {
					why = "push would add it to this host too, and two hosts holding one address take turns answering ARP for it"
				}
				v.sourceClash(a, e, true, "Source address of another agent",
					"Agent %q leaves with source address %s, the address of agent %q: %s. Give it an address of its own with source_ips.", a.Name, ip, host.Name, why)
			case dup && first != a:
				v.sourceClash(a, e, e.AddAddress, "Shared source address",
					"Agents %q and %q both leave with source address %s; two hosts holding one address on one network take turns answering ARP for it. Give each agent its own with source_ips.", first.Name, a.Name, ip)
			}
		}
	}
}

// sourceClash reports a source address of a's that another host holds
// too, where a's source address for e is written.
func (v *validator) sourceClash(a *Agent, e AgentEgress, isError bool, summary, format string, args ...any) {
	rng := a.DefRange
	if _, own := a.SourceIPs[e.Name]; own {
		rng = a.KeyRange("source_ips", e.Name)
	}
	if isError {
		v.errorf(rng, summary, format, args...)
	} else {
		v.warnf(rng, summary, format, args...)
	}
}

func isGlob(p string) bool { return strings.ContainsAny(p, "*?[") }

func matches(pattern, name string) bool {
	if ok, err := path.Match(pattern, name); err == nil && ok {
		return true
	}
	return pattern == name
}
