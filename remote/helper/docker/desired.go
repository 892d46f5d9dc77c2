package docker

import (
	"fmt"

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
	return Normalize(n)
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
