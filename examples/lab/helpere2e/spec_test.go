package e2e

import (
	"fmt"

	"github.com/kasmfleet/push/remote/proto"
)

// labSpec is agent n's share of the lab's networks: its own /28 of each
// VLAN (16n and 128+16n), SNAT of z_custom_a to its extra LAN address,
// and a plain bridge whose subnet Docker picks.
func labSpec(a agentInfo) proto.HostSpec {
	n := a.n
	return proto.HostSpec{
		Agent: a.name,
		Trunk: &proto.Trunk{NIC: "eth1", MAC: a.trunkMAC},
		VLANs: []proto.VLANNetwork{
			{Name: "z_vlan150", Driver: "ipvlan", Mode: "l2", VID: 150, Subnet: "192.0.2.0/25", Gateway: "192.0.2.1",
				IPRange: fmt.Sprintf("192.0.2.%d/28", 16*n), ProbeIP: fmt.Sprintf("192.0.2.%d", 16*n+14),
				VerifyURL: "http://192.0.2.1:8080/"},
			{Name: "z_vlan160", Driver: "macvlan", Mode: "bridge", VID: 160, Subnet: "192.0.2.128/25", Gateway: "192.0.2.129",
				IPRange: fmt.Sprintf("192.0.2.%d/28", 128+16*n), ProbeIP: fmt.Sprintf("192.0.2.%d", 128+16*n+14),
				VerifyURL: "http://192.0.2.129:8080/"},
		},
		Bridges: []proto.BridgeNetwork{
			{Name: "z_custom_a", Bridge: "z_custom_a", Subnet: "172.19.0.0/16", SourceIP: a.extraAddr,
				VerifyURL: "http://198.51.100.1:8080/"},
			{Name: "z_enclave_2", Bridge: "z_enclave_2"},
		},
	}
}

type agentInfo struct {
	n         int
	name      string
	trunkMAC  string
	extraAddr string
}

func (r *rig) info() agentInfo {
	return agentInfo{n: r.n, name: r.agent.Name, trunkMAC: r.agent.TrunkMAC, extraAddr: r.agent.ExtraAddr}
}

func (r *rig) spec() proto.HostSpec { return labSpec(r.info()) }
