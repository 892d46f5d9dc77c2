// Package topology describes the lab: its VMs, their ports, MAC and
// addresses, the host bridges and taps, and where the lab keeps its state.
// It is static data plus the lab.json document written by `lab.sh up`.
package topology

import "fmt"

// Bridge names on the host.
const (
	TrunkBridge = "pushlab-trunk" // carries 802.1Q-tagged frames between eth1 of every VM
	LANBridge   = "pushlab-lan"   // 198.51.100.0/24 between eth2 of every VM
)

// Network configuration flavours of the guests.
const (
	IfUpDown = "ifupdown"
	Networkd = "systemd-networkd"
	Netplan  = "netplan"
	// NetworkManager: keyfiles in /etc/NetworkManager/system-connections.
	NetworkManager = "NetworkManager"
)

// Images a VM boots: the arguments of image/build.sh.
const (
	Bookworm = "bookworm" // Debian 12, docker.io 20.10; root and admin log in
	Trixie   = "trixie"   // Debian 13, docker.io 26, NetworkManager; only admin logs in
)

// Roles of the VMs.
const (
	RoleAgent   = "agent"
	RoleGateway = "gateway"
)

// Gateway addresses: on the LAN, and on the two tagged VLANs.
const (
	GatewayLANAddr = "198.51.100.1"
	GatewayVLAN150 = "192.0.2.1"
	GatewayVLAN160 = "192.0.2.129"
	// The VLANs' IPv6 halves: 2001:db8:N::/64 on VLAN N, the gateway ::1.
	GatewayVLAN150v6 = "2001:db8:150::1"
	GatewayVLAN160v6 = "2001:db8:160::1"
	WhoAmIPort       = 8080
	LANPrefix        = 24
)

// Management (qemu user networking) inside every guest.
const (
	MgmtAddr    = "10.0.2.15/24"
	MgmtGateway = "10.0.2.2"
)

// VM is one lab virtual machine.
type VM struct {
	Name      string `json:"name"`
	Role      string `json:"role"`
	Index     int    `json:"index"`    // 1..3 for agents, 0 for the gateway
	SSHPort   int    `json:"ssh_port"` // on 127.0.0.1
	MgmtMAC   string `json:"mgmt_mac"`
	TrunkMAC  string `json:"trunk_mac"`
	LANMAC    string `json:"lan_mac"`
	LANAddr   string `json:"lan_addr"`             // on eth2
	ExtraAddr string `json:"extra_addr,omitempty"` // a second eth2 address, for SNAT
	NetConfig string `json:"net_config"`           // ifupdown, systemd-networkd, netplan or NetworkManager
	Image     string `json:"image,omitempty"`      // image/build.sh variant; "" is Bookworm
	// User logs in with the lab key; "" is root. Any other user runs the
	// lab's root commands through sudo (passwordless).
	User string `json:"user,omitempty"`
	// BareMetal: an agent that is no VM in vcsim (in push's inventory,
	// bare_metal = true). It is still a qemu VM of the lab.
	BareMetal bool `json:"bare_metal,omitempty"`
}

// ImageName is the image/build.sh variant the VM boots.
func (v VM) ImageName() string {
	if v.Image == "" {
		return Bookworm
	}
	return v.Image
}

// LoginUser is the user the lab logs in as: root unless User says.
func (v VM) LoginUser() string {
	if v.User == "" {
		return "root"
	}
	return v.User
}

// TrunkTap and LANTap are the host tap devices of the VM's eth1 and eth2.
func (v VM) TrunkTap() string { return "pl-t-" + v.short() }

// LANTap is the host tap of the VM's eth2.
func (v VM) LANTap() string { return "pl-l-" + v.short() }

func (v VM) short() string {
	if v.Role == RoleGateway {
		return "gw"
	}
	return fmt.Sprintf("a%d", v.Index)
}

// SSHAddr is where the VM's sshd answers on the host.
func (v VM) SSHAddr() string { return fmt.Sprintf("127.0.0.1:%d", v.SSHPort) }

// KnownHostsName is the VM's host pattern in known_hosts.
func (v VM) KnownHostsName() string { return fmt.Sprintf("[127.0.0.1]:%d", v.SSHPort) }

// Agents are the three agent VMs that are VMs in vcsim too,
// kasm-agent-1..3 (Debian 12, root login). They differ in how they
// configure their network, so push meets each flavour.
func Agents() []VM {
	flavours := []string{IfUpDown, Networkd, Netplan}
	vms := make([]VM, 0, len(flavours))
	for i, f := range flavours {
		vms = append(vms, agent(i+1, f))
	}
	return vms
}

// BareMetalAgents are the agents that are no VM in vcsim: kasm-agent-4,
// Debian 13 with Docker 26 and NetworkManager, where only admin logs in
// (sudo, push's become = true). On the same trunk as the VMs.
func BareMetalAgents() []VM {
	a := agent(4, NetworkManager)
	a.Image, a.User, a.BareMetal = Trixie, "admin", true
	return []VM{a}
}

func agent(n int, flavour string) VM {
	return VM{
		Name:      fmt.Sprintf("kasm-agent-%d", n),
		Role:      RoleAgent,
		Index:     n,
		SSHPort:   2200 + n,
		MgmtMAC:   fmt.Sprintf("52:54:00:00:00:%02x", n),
		TrunkMAC:  fmt.Sprintf("52:54:00:00:01:%02x", n),
		LANMAC:    fmt.Sprintf("52:54:00:00:02:%02x", n),
		LANAddr:   fmt.Sprintf("198.51.100.1%d", n),
		ExtraAddr: fmt.Sprintf("198.51.100.11%d", n),
		NetConfig: flavour,
	}
}

// Gateway is lab-gw: the VLANs' and the LAN's router stand-in, answering
// "what is my source IP" on port 8080.
func Gateway() VM {
	return VM{
		Name:      "lab-gw",
		Role:      RoleGateway,
		SSHPort:   2200,
		MgmtMAC:   "52:54:00:00:00:fe",
		TrunkMAC:  "52:54:00:00:01:fe",
		LANMAC:    "52:54:00:00:02:fe",
		LANAddr:   GatewayLANAddr,
		NetConfig: Networkd,
	}
}

// All is the gateway followed by the VM agents and the bare-metal ones.
func All() []VM { return append(append([]VM{Gateway()}, Agents()...), BareMetalAgents()...) }

// Demo is what `make demo` needs: the gateway and the VM agents, all of
// one image (no bare-metal agent).
func Demo() []VM { return append([]VM{Gateway()}, Agents()...) }

// Images are the image/build.sh variants vms boot.
func Images(vms []VM) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range vms {
		if n := v.ImageName(); !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}

// ByName finds a VM of the lab.
func ByName(name string) (VM, bool) {
	for _, v := range All() {
		if v.Name == name {
			return v, true
		}
	}
	return VM{}, false
}
