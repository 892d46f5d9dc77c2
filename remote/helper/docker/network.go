// Package docker talks to the Docker Engine API on its unix socket and
// compares Docker networks with what push wants, after normalizing what
// Docker echoes back differently from what it was given.
package docker

import (
	"net/netip"
	"sort"
	"strings"
)

// Labels push puts on every network it creates.
const (
	LabelManaged = "com.kasmfleet.push.managed"
	LabelAgent   = "com.kasmfleet.push.agent"
)

// ProbeAux is the auxiliary-address name reserving verify's probe IP.
const ProbeAux = "push-probe"

// Option keys push sets and compares.
const (
	OptParent      = "parent"
	OptIPVlanMode  = "ipvlan_mode"
	OptMacvlanMode = "macvlan_mode"
	OptBridgeName  = "com.docker.network.bridge.name"
	OptMasquerade  = "com.docker.network.bridge.enable_ip_masquerade"
)

// Network is a Docker network in normalized form: CIDRs masked, gateway
// without a prefix, option defaults made explicit.
type Network struct {
	ID      string
	Name    string
	Driver  string
	Options map[string]string
	Subnet  string
	Gateway string
	IPRange string
	Aux     map[string]string
	// IPv6 is Docker's EnableIPv6; Subnet6, Gateway6, IPRange6 and Aux6
	// are the IPv6 pool, as for IPv4.
	IPv6       bool
	Subnet6    string
	Gateway6   string
	IPRange6   string
	Aux6       map[string]string
	Attachable bool
	Labels     map[string]string
	// DefaultBridge: the bridge name is push's default, not the
	// inventory's; it is used to create the network, never compared.
	DefaultBridge bool
	// Adopted: a hand-made network apply --adopt recorded as push's.
	Adopted bool
	// Containers are the names of attached containers (inspect only).
	Containers []string
	// ContainerAddrs are their IPv4 addresses (inspect only).
	ContainerAddrs []string
}

// Managed reports whether push created the network.
func (n Network) Managed() bool { return n.Labels[LabelManaged] == "true" }

// Owned reports whether the network is push's: created by it, or
// adopted. Drift, replace and prune rules apply only to those.
func (n Network) Owned() bool { return n.Managed() || n.Adopted }

// BridgeName is the Linux bridge of a bridge network: the one its options
// name, or the one Docker names after the network's ID ("br-" and 12 hex).
func (n Network) BridgeName() string {
	if b := n.Options[OptBridgeName]; b != "" || n.Driver != "bridge" || len(n.ID) < 12 {
		return b
	}
	return "br-" + n.ID[:12]
}

// defaultOptions are the values Docker uses when an option is absent.
func defaultOptions(driver string) map[string]string {
	switch driver {
	case "ipvlan":
		return map[string]string{OptIPVlanMode: "l2"}
	case "macvlan":
		return map[string]string{OptMacvlanMode: "bridge"}
	case "bridge":
		return map[string]string{OptMasquerade: "true"}
	}
	return nil
}

// comparedOptions are the options push decides; others are Docker's.
func comparedOptions(driver string) []string {
	switch driver {
	case "ipvlan":
		return []string{OptParent, OptIPVlanMode}
	case "macvlan":
		return []string{OptParent, OptMacvlanMode}
	case "bridge":
		return []string{OptBridgeName, OptMasquerade}
	}
	return nil
}

// Normalize returns n with CIDRs masked, addresses canonical and option
// defaults filled in, so that two equal networks compare equal.
func Normalize(n Network) Network {
	out := n
	out.Driver = strings.ToLower(strings.TrimSpace(n.Driver))
	out.Subnet = normPrefix(n.Subnet)
	out.IPRange = normPrefix(n.IPRange)
	out.Gateway = normAddr(n.Gateway)
	out.Subnet6 = normPrefix(n.Subnet6)
	out.IPRange6 = normPrefix(n.IPRange6)
	out.Gateway6 = normAddr(n.Gateway6)
	out.Aux6 = normAux(n.Aux6)
	out.Options = map[string]string{}
	for k, v := range defaultOptions(out.Driver) {
		out.Options[k] = v
	}
	for k, v := range n.Options {
		out.Options[k] = normOption(k, v)
	}
	out.Aux = normAux(n.Aux)
	out.Containers = append([]string(nil), n.Containers...)
	sort.Strings(out.Containers)
	return out
}

func normAux(aux map[string]string) map[string]string {
	if len(aux) == 0 {
		return nil
	}
	out := map[string]string{}
	for k, v := range aux {
		out[k] = normAddr(v)
	}
	return out
}

func normOption(key, v string) string {
	v = strings.TrimSpace(v)
	switch key {
	case OptIPVlanMode, OptMacvlanMode, OptMasquerade:
		return strings.ToLower(v)
	}
	return v
}

// normPrefix masks a CIDR ("192.0.2.5/24" → "192.0.2.0/24"); text that is
// not a CIDR is kept so that a difference still shows.
func normPrefix(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return s
	}
	return p.Masked().String()
}

// normAddr drops a prefix length some Docker versions echo on gateways
// ("192.0.2.1/25" → "192.0.2.1").
func normAddr(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Addr().String()
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return a.String()
	}
	return s
}
