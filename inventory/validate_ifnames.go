package inventory

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// maxIfName is the longest Linux interface name, in bytes (IFNAMSIZ - 1).
const maxIfName = 15

// takenIfNames are interfaces every Docker host already has.
var takenIfNames = map[string]string{
	"lo":              "the loopback interface",
	"docker0":         "Docker's default bridge",
	"docker_gwbridge": "the bridge of Docker's swarm networks",
}

// bridgeName defaults a Linux bridge name to the network name and checks it.
func (v *validator) bridgeName(b *Block, bridge, network string) string {
	rng := b.Range("bridge")
	if bridge == "" {
		if !dockerNameRe.MatchString(network) {
			return network // reported as a network name
		}
		bridge, rng = network, b.Range("network")
	}
	if bridge == "" || !v.ifName(rng, "bridge name", bridge) {
		return bridge
	}
	if what, taken := takenIfNames[bridge]; taken {
		v.errorf(rng, "Interface name taken",
			"The bridge name %q is %s on every Docker host, and Linux refuses a second interface of one name. Set bridge to another name.", bridge, what)
	}
	return bridge
}

// trunkNIC checks the name of a trunk NIC: an interface that can carry
// VLANs to the network.
func (v *validator) trunkNIC(rng hcl.Range, name string) {
	if name == "auto" || !v.ifName(rng, "trunk NIC", name) {
		return
	}
	if name == "lo" {
		v.errorf(rng, "Loopback as trunk NIC",
			"lo is the loopback interface: it reaches no network, and the kernel refuses VLANs on it. Name the NIC the VLANs are trunked to, such as \"ens160\".")
		return
	}
	if nic, vid, ok := splitVLANName(name); ok {
		v.warnf(rng, "Trunk NIC is a VLAN sub-interface",
			"%q looks like VLAN %s on %s, so its VLANs would be stacked inside VLAN %s (802.1ad style), which is rarely meant. Name the NIC itself, such as %q.", name, vid, nic, vid, nic)
	}
}

// splitVLANName splits a name such as "ens160.100" into NIC and VLAN id.
func splitVLANName(name string) (nic, vid string, ok bool) {
	i := strings.LastIndexByte(name, '.')
	if i <= 0 || i == len(name)-1 || strings.Trim(name[i+1:], "0123456789") != "" {
		return "", "", false
	}
	return name[:i], name[i+1:], true
}

// subInterface checks that the sub-interface of vl on the agent's trunk
// NIC, NIC.ID as push creates it, fits in a Linux interface name.
// Reported once where the NIC is named, for each VLAN.
func (v *validator) subInterface(a *Agent, t *Trunk, vl *VLAN) {
	if a.TrunkNIC == "auto" || vl.ID < 1 || vl.ID > 4094 {
		return
	}
	name := fmt.Sprintf("%s.%d", a.TrunkNIC, vl.ID)
	if len(name) <= maxIfName || len(a.TrunkNIC) > maxIfName {
		return
	}
	rng := a.Range("trunk_nic")
	if !a.Has("trunk_nic") && t != nil {
		rng = t.Range("nic")
	}
	if !v.first(rng, "VLAN sub-interface name too long", vl.Name) {
		return
	}
	v.errorf(rng, "VLAN sub-interface name too long",
		"vlan %q needs the sub-interface %s, whose name has %d bytes; Linux allows at most %d. Rename the trunk NIC on the hosts (with a .link file or udev rule) to a name of at most %d bytes.",
		vl.Name, name, len(name), maxIfName, maxIfName-1-len(fmt.Sprint(vl.ID)))
}

// ifName checks a Linux interface name, as the kernel's dev_valid_name
// does; ok is false when it was reported.
func (v *validator) ifName(rng hcl.Range, what, name string) bool {
	switch {
	case len(name) > maxIfName:
		v.errorf(rng, "Interface name too long",
			"The %s %q has %d bytes; Linux allows at most %d. Set a shorter one.", what, name, len(name), maxIfName)
	case name == "." || name == ".." || strings.ContainsAny(name, "/:% \t\n\v\f\r"):
		v.errorf(rng, "Invalid interface name",
			"The %s %q is not a valid Linux interface name: it may not be \".\" or \"..\", nor hold '/', ':', whitespace, or '%%' (which the kernel replaces with a number).", what, name)
	default:
		return true
	}
	return false
}

// hostInterfaces finds a bridge that agent a would create with the name of
// an interface it already has: its trunk NIC or a VLAN sub-interface.
func (v *validator) hostInterfaces(a *Agent) {
	if a.TrunkNIC == "" || a.TrunkNIC == "auto" {
		return
	}
	has := map[string]string{a.TrunkNIC: "trunk NIC"}
	for _, av := range a.Networks.VLANs {
		has[fmt.Sprintf("%s.%d", a.TrunkNIC, av.ID)] = fmt.Sprintf("sub-interface for vlan %q", av.Name)
	}
	for _, d := range a.bridges() {
		what, taken := has[d.bridge]
		if rng := d.bridgeRange(); taken && v.first(rng, "Interface name taken", d.bridge) {
			v.errorf(rng, "Interface name taken",
				"The bridge name %q is also agent %q's %s, and Linux refuses a second interface of one name. Set bridge to another name.", d.bridge, a.Name, what)
		}
	}
}
