package identity

import (
	"fmt"

	"github.com/kasmfleet/push/examples/lab/topology"
)

// eth1, the trunk, is left unconfigured on agents: push configures it.

func ifupdown(files map[string]entry, vm topology.VM) {
	files["etc/network/interfaces"] = file(0o644, fmt.Sprintf(`# kasm lab agent: ifupdown. eth0 management, eth1 trunk (push's), eth2 LAN.
source /etc/network/interfaces.d/*

auto lo
iface lo inet loopback

auto eth0
iface eth0 inet static
	address %s
	gateway %s

auto eth2
iface eth2 inet static
	address %s/%d

iface eth2 inet static
	address %s/%d
`, topology.MgmtAddr, topology.MgmtGateway, vm.LANAddr, topology.LANPrefix, vm.ExtraAddr, topology.LANPrefix))
	files["etc/network/interfaces.d"] = entry{mode: 0o755, dir: true}
	enable(files, "multi-user.target", "networking.service")
	enable(files, "network-online.target", "networking.service")
}

func networkdMgmt() string {
	return fmt.Sprintf("[Match]\nName=eth0\n\n[Network]\nAddress=%s\nGateway=%s\nLinkLocalAddressing=no\nIPv6AcceptRA=no\n",
		topology.MgmtAddr, topology.MgmtGateway)
}

func networkd(files map[string]entry, vm topology.VM) {
	files["etc/systemd/network/10-eth0.network"] = file(0o644, networkdMgmt())
	files["etc/systemd/network/20-eth2.network"] = file(0o644, fmt.Sprintf(
		"[Match]\nName=eth2\n\n[Network]\nAddress=%s/%d\nAddress=%s/%d\nLinkLocalAddressing=no\nIPv6AcceptRA=no\n",
		vm.LANAddr, topology.LANPrefix, vm.ExtraAddr, topology.LANPrefix))
	enableNetworkd(files)
}

func netplan(files map[string]entry, vm topology.VM) {
	files["etc/netplan/50-lab.yaml"] = file(0o600, fmt.Sprintf(`# kasm lab agent: netplan (rendered by systemd-networkd).
network:
  version: 2
  renderer: networkd
  ethernets:
    eth0:
      addresses: [%s]
      routes:
        - to: default
          via: %s
      link-local: []
    eth2:
      addresses: [%s/%d, %s/%d]
      link-local: []
`, topology.MgmtAddr, topology.MgmtGateway, vm.LANAddr, topology.LANPrefix, vm.ExtraAddr, topology.LANPrefix))
	enableNetworkd(files)
}

// networkManager: keyfiles for eth0 and eth2; NetworkManager leaves eth1
// alone (the image's no-auto-default=* keeps it from making a
// "Wired connection" for it).
func networkManager(files map[string]entry, vm topology.VM) {
	conn := func(id, nic, ipv4 string) string {
		return fmt.Sprintf("# kasm lab agent: NetworkManager.\n[connection]\nid=%s\ntype=ethernet\ninterface-name=%s\nautoconnect=true\n\n"+
			"[ipv4]\nmethod=manual\n%s\n[ipv6]\nmethod=disabled\n", id, nic, ipv4)
	}
	dir := "etc/NetworkManager/system-connections/"
	files[dir+"lab-eth0.nmconnection"] = file(0o600, conn("lab-eth0", "eth0",
		fmt.Sprintf("address1=%s,%s\n", topology.MgmtAddr, topology.MgmtGateway)))
	files[dir+"lab-eth2.nmconnection"] = file(0o600, conn("lab-eth2", "eth2",
		fmt.Sprintf("address1=%s/%d\naddress2=%s/%d\nnever-default=true\n", vm.LANAddr, topology.LANPrefix, vm.ExtraAddr, topology.LANPrefix)))
	enable(files, "multi-user.target", "NetworkManager.service")
}

func gateway(files map[string]entry, vm topology.VM, whoami []byte) {
	files["etc/modules-load.d/lab-8021q.conf"] = file(0o644, "8021q\n")
	files["etc/systemd/network/10-eth0.network"] = file(0o644, networkdMgmt())
	files["etc/systemd/network/20-eth1.network"] = file(0o644,
		"[Match]\nName=eth1\n\n[Network]\nVLAN=eth1.150\nVLAN=eth1.160\nLinkLocalAddressing=no\nIPv6AcceptRA=no\n")
	vlans := []struct {
		id          int
		addr, addr6 string
	}{{150, topology.GatewayVLAN150 + "/25", topology.GatewayVLAN150v6 + "/64"},
		{160, topology.GatewayVLAN160 + "/25", topology.GatewayVLAN160v6 + "/64"}}
	for _, v := range vlans {
		name := fmt.Sprintf("eth1.%d", v.id)
		files["etc/systemd/network/30-"+name+".netdev"] = file(0o644,
			fmt.Sprintf("[NetDev]\nName=%s\nKind=vlan\n\n[VLAN]\nId=%d\n", name, v.id))
		files["etc/systemd/network/30-"+name+".network"] = file(0o644,
			fmt.Sprintf("[Match]\nName=%s\n\n[Network]\nAddress=%s\nAddress=%s\nLinkLocalAddressing=no\nIPv6AcceptRA=no\n", name, v.addr, v.addr6))
	}
	files["etc/systemd/network/20-eth2.network"] = file(0o644, fmt.Sprintf(
		"[Match]\nName=eth2\n\n[Network]\nAddress=%s/%d\nLinkLocalAddressing=no\nIPv6AcceptRA=no\n",
		vm.LANAddr, topology.LANPrefix))
	enableNetworkd(files)
	files["usr/local/bin/lab-whoami"] = file(0o755, string(whoami))
	files["etc/systemd/system/lab-whoami.service"] = file(0o644, "[Unit]\n"+
		"Description=Lab gateway: HTTP on :8080 answering with the caller's source IP\nAfter=network.target\n\n"+
		"[Service]\nExecStart=/usr/local/bin/lab-whoami -listen :8080\nRestart=always\n\n[Install]\nWantedBy=multi-user.target\n")
	enable(files, "multi-user.target", "lab-whoami.service")
	// The gateway runs no containers.
	files["etc/systemd/system/docker.service"] = link("/dev/null")
	files["etc/systemd/system/docker.socket"] = link("/dev/null")
	files["etc/systemd/system/containerd.service"] = link("/dev/null")
}
