package inventory

import (
	"fmt"
	"net/netip"

	"github.com/hashicorp/hcl/v2"
)

// netDef is one Docker network definition of any kind, for checks across
// kinds.
type netDef struct {
	kind   string // "vlan", "egress", "bridge"
	block  *Block
	name   string // Docker network name
	bridge string // Linux bridge name, bridges only
	subnet netip.Prefix
}

func (v *validator) netDefs() []netDef {
	var out []netDef
	for _, x := range v.inv.VLANs {
		out = append(out, netDef{"vlan", &x.Block, x.Network, "", x.Subnet})
	}
	for _, x := range v.inv.Egress {
		out = append(out, egressDef(x))
	}
	for _, x := range v.inv.Bridges {
		out = append(out, bridgeDef(x))
	}
	return out
}

func egressDef(x *Egress) netDef { return netDef{"egress", &x.Block, x.Network, x.Bridge, x.Subnet} }
func bridgeDef(x *Bridge) netDef { return netDef{"bridge", &x.Block, x.Network, x.Bridge, x.Subnet} }

// bridgeRange is where the Linux bridge name is written: bridge, or the
// network name it defaults to.
func (d netDef) bridgeRange() hcl.Range {
	if d.block.Has("bridge") {
		return d.block.Range("bridge")
	}
	return d.block.Range("network")
}

// bridges are the egress and bridge networks agent a serves.
func (a *Agent) bridges() []netDef {
	var out []netDef
	for _, x := range a.Networks.Egress {
		out = append(out, egressDef(x.Egress))
	}
	for _, x := range a.Networks.Bridges {
		out = append(out, bridgeDef(x))
	}
	return out
}

// ownAddress warns about an egress or bridge subnet holding agent a's own
// address: the host would route part of its own network into a Docker
// bridge, and the bridge's gateway may take the address of the network's
// router.
func (v *validator) ownAddress(a *Agent) {
	addr, err := netip.ParseAddr(a.Address)
	if err != nil {
		return
	}
	for _, d := range a.bridges() {
		if rng := d.block.Range("subnet"); d.subnet.Contains(addr) && v.first(rng, "Subnet holds an agent's address", "") {
			v.warnf(rng, "Subnet holds an agent's address",
				"%s of %s holds %s, the address push reaches agent %q at: the host would route part of its own network into the Docker bridge (whose gateway may even take the router's address), which can cut it off. Choose a subnet apart from the agents' network.",
				d.subnet, d, addr, a.Name)
		}
	}
}

func (d netDef) String() string { return fmt.Sprintf("%s %q", d.kind, d.block.Name) }

// uniqueNetworks finds two definitions of one Docker network name or one
// Linux bridge name.
func (v *validator) uniqueNetworks() {
	defs := v.netDefs()
	names := map[string]netDef{}
	bridges := map[string]netDef{}
	for _, d := range defs {
		if first, dup := names[d.name]; dup && d.name != "" {
			v.errorf(d.block.Range("network"), "Duplicate Docker network name",
				"Docker network %q is also defined by %s at %s.", d.name, first, first.block.Range("network"))
		} else {
			names[d.name] = d
		}
		if d.bridge == "" {
			continue
		}
		rng := d.bridgeRange()
		if first, dup := bridges[d.bridge]; dup {
			v.errorf(rng, "Duplicate bridge name",
				"Linux bridge %q is also used by %s; give one of them another bridge name.", d.bridge, first)
		} else {
			bridges[d.bridge] = d
		}
	}
}

// defaultBridge is the subnet of docker0 unless the daemon's bip or
// default-address-pools say otherwise.
var defaultBridge = netip.MustParsePrefix("172.17.0.0/16")

// subnets checks each network's subnet, and finds two whose subnets
// overlap, reported at the later one: on one host Docker refuses the
// second network, and across hosts one address would live on two segments.
func (v *validator) subnets() {
	defs := v.netDefs()
	for i, d := range defs {
		rng := d.block.Range("subnet")
		if d.kind != "vlan" && d.subnet.IsValid() && d.subnet.Bits() > 30 {
			v.errorf(rng, "Subnet too small",
				"%s of %s is too small: a Docker bridge network needs its network and broadcast addresses, a gateway and one address per container. Use a /30 or larger.",
				d.subnet, d)
		}
		if overlaps(d.subnet, defaultBridge) {
			v.warnf(rng, "Subnet overlaps Docker's default bridge",
				"%s overlaps %s, the subnet of docker0 unless the daemon's bip or default-address-pools move it, and Docker refuses a network that overlaps another. Choose another subnet, or make sure every agent's daemon.json moves docker0.",
				d.subnet, defaultBridge)
		}
		for _, prev := range defs[:i] {
			if overlaps(d.subnet, prev.subnet) {
				v.overlap(rng, d, prev)
			}
		}
	}
}

func (v *validator) overlap(rng hcl.Range, d, other netDef) {
	v.errorf(rng, "Overlapping subnets",
		"Subnet %s of %s overlaps subnet %s of %s.", d.subnet, d, other.subnet, other)
}
