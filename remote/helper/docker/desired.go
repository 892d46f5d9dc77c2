package docker

import (
	"fmt"
	"net/netip"

	"github.com/kasmfleet/push/remote/proto"
)

// Parent is the VLAN sub-interface Docker creates for a VLAN network.
func Parent(trunkNIC string, vid int) string { return fmt.Sprintf("%s.%d", trunkNIC, vid) }

// FromVLAN is the network push wants for v on trunkNIC.
func FromVLAN(v proto.VLANNetwork, trunkNIC, agent string) Network {
	modeKey := OptIPVlanMode
	if v.Driver == "macvlan" {
		modeKey = OptMacvlanMode
	}
	n := Network{
		Name:   v.Name,
		Driver: v.Driver,
		Options: map[string]string{
			OptParent: Parent(trunkNIC, v.VID),
			modeKey:   v.Mode,
		},
		Subnet:  v.Subnet,
		Gateway: v.Gateway,
		IPRange: v.IPRange,
		Labels:  labels(agent),
	}
	if v.ProbeIP != "" {
		n.Aux = map[string]string{ProbeAux: v.ProbeIP}
	}
	if v.Subnet6 != "" {
		n.IPv6, n.Subnet6, n.Gateway6, n.IPRange6 = true, v.Subnet6, v.Gateway6, v.IPRange6
		if v.ProbeIP6 != "" {
			n.Aux6 = map[string]string{ProbeAux: v.ProbeIP6}
		}
	}
	return Normalize(n)
}

// FromBridge is the network push wants for b. Docker's masquerade is
// turned off when push source-NATs the subnet itself.
func FromBridge(b proto.BridgeNetwork, agent string) Network {
	n := Network{
		Name:          b.Name,
		Driver:        "bridge",
		Options:       map[string]string{OptBridgeName: b.Bridge},
		Subnet:        b.Subnet,
		Gateway:       b.Gateway,
		Attachable:    true,
		Labels:        labels(agent),
		DefaultBridge: b.BridgeDefault,
	}
	if b.SourceIP != "" {
		n.Options[OptMasquerade] = "false"
	}
	if p := BridgeProbe(b); p.IsValid() {
		n.Aux = map[string]string{ProbeAux: p.String()}
	}
	return Normalize(n)
}

// BridgeProbe is the address push reserves (as a Docker auxiliary
// address) for verify's probe of a source-NATed bridge: the highest host
// address of its subnet that is not the gateway. Docker hands out
// addresses from the bottom, so the reservation takes nothing a session
// would get before the subnet is full, and verify need not ask Docker
// which addresses sessions hold. None (the zero Addr) when verify does
// not probe b, or Docker chooses its subnet.
func BridgeProbe(b proto.BridgeNetwork) netip.Addr {
	subnet, err := netip.ParsePrefix(b.Subnet)
	if b.SourceIP == "" || b.VerifyURL == "" || err != nil || !subnet.Addr().Is4() || subnet.Bits() > 30 {
		return netip.Addr{}
	}
	subnet = subnet.Masked()
	top := subnet.Addr().As4()
	host := uint32(1)<<(32-subnet.Bits()) - 1
	for i := range top {
		top[i] |= byte(host >> (8 * (3 - i)))
	}
	probe := netip.AddrFrom4(top).Prev() // below the broadcast address
	if gw, err := netip.ParseAddr(b.Gateway); err == nil && gw == probe {
		probe = probe.Prev()
	}
	return probe
}

func labels(agent string) map[string]string {
	l := map[string]string{LabelManaged: "true"}
	if agent != "" {
		l[LabelAgent] = agent
	}
	return l
}

// Facts converts n to the protocol's form.
func (n Network) Facts() proto.DockerNetwork {
	return proto.DockerNetwork{
		Name: n.Name, ID: n.ID, Driver: n.Driver, Options: n.Options,
		Subnet: n.Subnet, Gateway: n.Gateway, IPRange: n.IPRange,
		Managed: n.Managed(), Adopted: n.Adopted, Containers: n.Containers,
	}
}
