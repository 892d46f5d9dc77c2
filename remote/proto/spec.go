package proto

// HostSpec is what one agent host should look like. push derives it from
// the inventory; the helper converges the host to it.
type HostSpec struct {
	Agent string `json:"agent"`
	// Trunk is the NIC that carries the tagged VLANs; nil when the host
	// serves no VLAN.
	Trunk   *Trunk          `json:"trunk,omitempty"`
	VLANs   []VLANNetwork   `json:"vlans,omitempty"`
	Bridges []BridgeNetwork `json:"bridges,omitempty"`
}

// Trunk names the trunk NIC by name, by MAC address, or both (then they
// must agree).
type Trunk struct {
	NIC string `json:"nic,omitempty"`
	MAC string `json:"mac,omitempty"`
}

// VLANNetwork is a Docker ipvlan or macvlan network on the sub-interface
// TRUNK.VID, restricted to this agent's slice of the subnet.
type VLANNetwork struct {
	Name    string `json:"name"`   // Docker network name
	Driver  string `json:"driver"` // "ipvlan" or "macvlan"
	Mode    string `json:"mode"`   // ipvlan: l2, l3, l3s; macvlan: bridge, private, vepa, passthru
	VID     int    `json:"vid"`
	Subnet  string `json:"subnet"`   // CIDR
	Gateway string `json:"gateway"`  // address inside Subnet
	IPRange string `json:"ip_range"` // this agent's slice, CIDR inside Subnet
	// ProbeIP is an address of IPRange reserved (as a Docker auxiliary
	// address) for verify's probe namespace.
	ProbeIP string `json:"probe_ip,omitempty"`
	// VerifyURL, when set, answers with the caller's source IP.
	VerifyURL string `json:"verify_url,omitempty"`
	// Subnet6, when set, makes the network dual-stack (Docker's
	// EnableIPv6 with a second IPAM pool): Gateway6 in it, this agent's
	// IPRange6 slice, and ProbeIP6 reserved for verify like ProbeIP.
	Subnet6  string `json:"subnet6,omitempty"`
	Gateway6 string `json:"gateway6,omitempty"`
	IPRange6 string `json:"ip_range6,omitempty"`
	ProbeIP6 string `json:"probe_ip6,omitempty"`
}

// BridgeNetwork is a Docker bridge network, with source NAT to SourceIP
// when it is set (the "egress" seed) or Docker's masquerade otherwise (the
// "enclave" seed).
type BridgeNetwork struct {
	Name   string `json:"name"`   // Docker network name
	Bridge string `json:"bridge"` // Linux bridge name, at most 15 bytes
	// BridgeDefault: the inventory did not state the bridge name; Bridge
	// is push's default (the network's name) for a network it creates,
	// and an existing network's bridge name (one Docker chose) is no
	// difference.
	BridgeDefault bool   `json:"bridge_default,omitempty"`
	Subnet        string `json:"subnet,omitempty"` // CIDR; empty lets Docker choose
	Gateway       string `json:"gateway,omitempty"`
	// SourceIP is the host address that traffic from Subnet leaves with.
	SourceIP string `json:"source_ip,omitempty"`
	// AddAddress, when set, is SourceIP with its prefix ("192.0.2.10/24"):
	// the helper adds it as a secondary address on the interface whose
	// connected network contains it, and keeps it across reboots.
	AddAddress string `json:"add_address,omitempty"`
	VerifyURL  string `json:"verify_url,omitempty"`
}

// Modes lists the modes of a VLAN network driver ("ipvlan" or
// "macvlan"); nil for another driver. The inventory keeps its own copy
// (it imports nothing of push's); a test of inventory pins the two.
func Modes(driver string) []string {
	switch driver {
	case "ipvlan":
		return []string{"l2", "l3", "l3s"}
	case "macvlan":
		return []string{"bridge", "private", "vepa", "passthru"}
	}
	return nil
}
