package proto

// Facts is what a helper saw on its host. Only objects relevant to the
// spec, or created by push, are reported.
type Facts struct {
	Hostname string `json:"hostname"`
	Kernel   string `json:"kernel"`
	// NetConfig is how the host configures its network: "ifupdown",
	// "netplan", "systemd-networkd", "networkmanager" or "unknown".
	NetConfig string `json:"net_config"`
	// SSHInterface carries the controller's session; push never touches it.
	SSHInterface string `json:"ssh_interface,omitempty"`

	Module8021q ModuleFacts `json:"module_8021q"`
	Trunk       *TrunkFacts `json:"trunk,omitempty"`
	Docker      DockerFacts `json:"docker"`
	SNAT        []SNATRule  `json:"snat,omitempty"`
	// HandSNAT are nat POSTROUTING SNAT rules outside push's table
	// (iptables-nft, iptables-legacy or nft), whoever wrote them.
	HandSNAT  []HandSNATRule  `json:"hand_snat,omitempty"`
	Addresses []InterfaceAddr `json:"addresses,omitempty"`
	// RestoreUnit reports the boot-time unit that re-applies the spec.
	RestoreUnit bool `json:"restore_unit"`
}

type ModuleFacts struct {
	Loaded    bool `json:"loaded"`
	Persisted bool `json:"persisted"`
}

type TrunkFacts struct {
	NIC       string   `json:"nic"`
	MAC       string   `json:"mac"`
	Up        bool     `json:"up"`
	Addresses []string `json:"addresses,omitempty"`
	Persisted bool     `json:"persisted"`
}

type DockerFacts struct {
	Version  string          `json:"version,omitempty"`
	Networks []DockerNetwork `json:"networks,omitempty"`
	// Unreachable says why Docker did not answer a survey (push import):
	// the host was read, its networks were not.
	Unreachable string `json:"unreachable,omitempty"`
}

// DockerNetwork is a Docker network as the helper normalized it.
type DockerNetwork struct {
	Name    string            `json:"name"`
	ID      string            `json:"id"`
	Driver  string            `json:"driver"`
	Options map[string]string `json:"options,omitempty"`
	Subnet  string            `json:"subnet,omitempty"`
	Gateway string            `json:"gateway,omitempty"`
	IPRange string            `json:"ip_range,omitempty"`
	Managed bool              `json:"managed"` // carries push's label
	// Adopted: hand-made, recorded as push's by apply --adopt (by ID).
	Adopted    bool     `json:"adopted,omitempty"`
	Containers []string `json:"containers,omitempty"`
}

type SNATRule struct {
	Subnet   string `json:"subnet"`
	Bridge   string `json:"bridge"`
	SourceIP string `json:"source_ip"`
}

type InterfaceAddr struct {
	Interface string `json:"interface"`
	Address   string `json:"address"` // CIDR
}

// HandSNATRule is an SNAT rule push did not write, and where it lives.
type HandSNATRule struct {
	Subnet   string `json:"subnet"`
	SourceIP string `json:"source_ip"`
	// Origin is "iptables-nft", "iptables-legacy" or "nft".
	Origin string `json:"origin"`
	// Rule is the rule as its tool prints it.
	Rule string `json:"rule"`
	// BootCopies are the files that add it again at boot ("/etc/rc.local:12").
	BootCopies []string `json:"boot_copies,omitempty"`
}
