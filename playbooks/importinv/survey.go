package importinv

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/kasmfleet/push/remote/proto"
)

// Docker options import reads.
const (
	optParent      = "parent"
	optIPVlanMode  = "ipvlan_mode"
	optMacvlanMode = "macvlan_mode"
	optBridgeName  = "com.docker.network.bridge.name"
	optMasquerade  = "com.docker.network.bridge.enable_ip_masquerade"
)

// Kinds of block a Docker network becomes.
const (
	kindVLAN   = "vlan"
	kindEgress = "egress"
	kindBridge = "bridge"
)

// seen is one network on one host, as an inventory block would state it.
type seen struct {
	host     int
	kind     string
	network  string
	subnet   netip.Prefix
	gateway  netip.Addr
	driver   string
	mode     string
	nic      string
	vid      int
	ipRange  netip.Prefix
	bridge   string
	sourceIP string
}

// key is what must agree between hosts for one block to state the
// network on all of them. A bridge's subnet is Docker's choice per host,
// so it is not part of its key.
func (s seen) key() string {
	switch s.kind {
	case kindVLAN:
		return fmt.Sprint(s.kind, s.network, s.subnet, s.gateway, s.driver, s.mode, s.vid)
	case kindEgress:
		return fmt.Sprint(s.kind, s.network, s.subnet, s.bridge)
	}
	return fmt.Sprint(s.kind, s.network, s.bridge)
}

// defaultNetworks are Docker's own; import leaves them out.
var defaultNetworks = map[string]bool{"bridge": true, "host": true, "none": true, "docker_gwbridge": true}

// survey reads the networks of host i; notes are what cannot be stated.
func survey(i int, h Host) (out []seen, notes []string) {
	f := h.Facts
	rules := snatRules(f)
	used := map[netip.Prefix]bool{}
	for _, n := range f.Docker.Networks {
		if defaultNetworks[n.Name] {
			continue
		}
		s, note := classify(i, n, rules)
		if note != "" {
			notes = append(notes, fmt.Sprintf("network %s %s; left out", n.Name, note))
			continue
		}
		if s.kind == kindEgress {
			used[s.subnet] = true
		}
		out = append(out, s)
	}
	for _, r := range rules {
		if !used[r.subnet] {
			notes = append(notes, fmt.Sprintf("SNAT rule for %s to %s has no Docker network with that subnet; left out", r.subnet, r.source))
		}
	}
	return out, notes
}

type snatRule struct {
	subnet netip.Prefix
	source string
}

// snatRules are the host's SNAT rules, push's and hand-made.
func snatRules(f *proto.Facts) []snatRule {
	var out []snatRule
	add := func(subnet, source string) {
		p, err := netip.ParsePrefix(subnet)
		if err == nil {
			out = append(out, snatRule{p.Masked(), source})
		}
	}
	for _, r := range f.SNAT {
		add(r.Subnet, r.SourceIP)
	}
	for _, r := range f.HandSNAT {
		add(r.Subnet, r.SourceIP)
	}
	return out
}

func classify(i int, n proto.DockerNetwork, rules []snatRule) (seen, string) {
	s := seen{host: i, network: n.Name, driver: n.Driver}
	var err error
	if n.Subnet != "" {
		if s.subnet, err = netip.ParsePrefix(n.Subnet); err != nil {
			return s, "has an unreadable subnet " + n.Subnet
		}
	}
	if n.Gateway != "" {
		if s.gateway, err = netip.ParseAddr(strings.Split(n.Gateway, "/")[0]); err != nil {
			return s, "has an unreadable gateway " + n.Gateway
		}
	}
	if n.IPRange != "" {
		if s.ipRange, err = netip.ParsePrefix(n.IPRange); err != nil {
			return s, "has an unreadable ip-range " + n.IPRange
		}
	}
	switch n.Driver {
	case "ipvlan", "macvlan":
		return vlanSeen(s, n)
	case "bridge":
		s.bridge = n.Options[optBridgeName]
		if n.Options[optMasquerade] != "false" {
			s.kind = kindBridge
			return s, ""
		}
		for _, r := range rules {
			if r.subnet == s.subnet {
				s.kind, s.sourceIP = kindEgress, r.source
				return s, ""
			}
		}
		return s, "masquerades nothing and no SNAT rule covers its subnet " + n.Subnet
	}
	return s, "has driver " + n.Driver + ", which push does not manage"
}

func vlanSeen(s seen, n proto.DockerNetwork) (seen, string) {
	s.kind = kindVLAN
	s.mode = n.Options[optIPVlanMode]
	if n.Driver == "macvlan" {
		s.mode = n.Options[optMacvlanMode]
	}
	parent := n.Options[optParent]
	nic, id, ok := strings.Cut(parent, ".")
	vid, err := strconv.Atoi(id)
	switch {
	case !ok || err != nil || vid < 1 || vid > 4094:
		return s, fmt.Sprintf("has parent %q, not a VLAN sub-interface NIC.ID", parent)
	case !s.subnet.IsValid() || !s.gateway.IsValid():
		return s, "has no subnet or gateway"
	case !s.ipRange.IsValid():
		return s, "has no ip-range: its sessions take addresses from the whole subnet"
	case !s.subnet.Contains(s.ipRange.Addr()) || s.ipRange.Bits() < s.subnet.Bits():
		return s, fmt.Sprintf("has ip-range %s outside its subnet %s", s.ipRange, s.subnet)
	case s.ipRange.Contains(s.gateway):
		return s, fmt.Sprintf("has ip-range %s holding its gateway %s", s.ipRange, s.gateway)
	case s.ipRange.Bits() > 30:
		return s, fmt.Sprintf("has ip-range %s, smaller than push allows (4 addresses)", s.ipRange)
	}
	s.nic, s.vid = nic, vid
	return s, ""
}
