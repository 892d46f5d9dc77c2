package inventory

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// validator checks the decoded inventory as a whole, fills defaults, and
// resolves what each agent serves. Every problem is collected.
type validator struct {
	inv      *Inventory
	diags    hcl.Diagnostics
	reported map[onceKey]bool
}

func validate(inv *Inventory) hcl.Diagnostics {
	v := &validator{inv: inv, reported: map[onceKey]bool{}}
	v.defaults()
	for i, t := range inv.Trunks {
		v.trunk(t)
		v.portGroup(t, inv.Trunks[:i])
	}
	for _, vl := range inv.VLANs {
		v.vlan(vl)
	}
	for _, e := range inv.Egress {
		v.egress(e)
	}
	for _, b := range inv.Bridges {
		b.Bridge = v.bridgeName(&b.Block, b.Bridge, b.Network)
		v.networkName(&b.Block, b.Network)
	}
	v.uniqueNetworks()
	v.subnets()
	for _, g := range inv.Groups {
		v.group(g)
	}
	v.agents()
	v.drain()
	v.workspaces()
	return v.diags
}

func (v *validator) errorf(rng hcl.Range, summary, format string, args ...any) {
	v.diags = append(v.diags, errorDiag(rng, summary, fmt.Sprintf(format, args...)))
}

func (v *validator) warnf(rng hcl.Range, summary, format string, args ...any) {
	v.diags = append(v.diags, warningDiag(rng, summary, fmt.Sprintf(format, args...)))
}

func (v *validator) defaults() {
	v.ssh(&v.inv.Defaults.Block, v.inv.Defaults.SSH)
	for _, vc := range v.inv.VSpheres {
		if vc.URL != "" {
			if u, err := url.Parse(vc.URL); err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
				v.errorf(vc.Range("url"), "Invalid vSphere URL", "%q is not a URL such as \"https://vcenter.example.com/sdk\".", vc.URL)
			} else if u.User != nil {
				v.errorf(vc.Range("url"), "Credentials in vSphere URL", "Put the user name and password in username and password (with env()), not in the URL.")
			}
		}
		if vc.Thumbprint != "" && !isThumbprint(vc.Thumbprint) {
			v.errorf(vc.Range("thumbprint"), "Invalid thumbprint",
				"%q is not a certificate thumbprint: the SHA-256 or SHA-1 of the certificate in hex, with or without colons, as govc about.cert -thumbprint shows it. No certificate would ever match it.", vc.Thumbprint)
		}
		if vc.Insecure && (vc.Thumbprint != "" || vc.CAFile != "") {
			v.errorf(vc.Range("insecure"), "Conflicting TLS settings", "insecure = true skips the verification that thumbprint and ca_file configure; choose one.")
		}
	}
}

func (v *validator) trunk(t *Trunk) {
	if t.VSphere != "" {
		if v.vsphere(t.VSphere) == nil {
			v.undefined(t.Range("vsphere"), "vsphere", t.VSphere)
		}
		for _, attr := range []string{"switch", "portgroup"} {
			if !t.Has(attr) && !t.unreadable(attr) {
				v.errorf(t.DefRange, "Missing required argument",
					"The argument %q is required when the trunk has a vsphere.", attr)
			}
		}
	}
	if t.NIC != "" {
		v.trunkNIC(t.Range("nic"), t.NIC)
	}
	if t.NIC == "auto" && !t.withVSphere() {
		v.errorf(t.Range("nic"), "Trunk NIC cannot be found automatically",
			"nic = \"auto\" finds each agent's trunk NIC by the MAC address vSphere gives it, but trunk %q has no vsphere.", t.Name)
	}
	v.trunkSwitch(t)
}

// portGroup finds a distributed port group that an earlier trunk also
// converges: push would set its VLAN ranges for one, then the other.
func (v *validator) portGroup(t *Trunk, earlier []*Trunk) {
	if t.VSphere == "" || t.SwitchType != SwitchDistributed || t.PortGroup == "" {
		return
	}
	for _, e := range earlier {
		if e.VSphere == t.VSphere && e.SwitchType == t.SwitchType && e.Switch == t.Switch && e.PortGroup == t.PortGroup {
			v.errorf(t.Range("portgroup"), "Duplicate port group",
				"Port group %q of switch %q is also trunk %q's, so push would set its VLAN ranges for one trunk, then for the other. Give one trunk all the VLANs, or each its own port group.", t.PortGroup, t.Switch, e.Name)
			return
		}
	}
}

// isThumbprint reports whether s is a SHA-256 or SHA-1 digest in hex,
// with or without colons between the bytes.
func isThumbprint(s string) bool {
	h := strings.ReplaceAll(s, ":", "")
	_, err := hex.DecodeString(h)
	return err == nil && (len(h) == 2*sha256.Size || len(h) == 2*sha1.Size)
}

// withVSphere reports whether the trunk has a vsphere, or one that could
// not be read (and is reported): either way, not a trunk without one.
func (t *Trunk) withVSphere() bool { return t.VSphere != "" || t.unreadable("vsphere") }

// trunkSwitch checks the switch type and the hosts that go with it, and
// defaults the type to distributed.
func (v *validator) trunkSwitch(t *Trunk) {
	if t.unreadable("vsphere") || t.unreadable("switch_type") {
		return
	}
	if t.VSphere == "" {
		for _, attr := range []string{"switch_type", "hosts"} {
			if t.Has(attr) {
				v.errorf(t.Range(attr), "Argument needs a vsphere",
					"%s only applies to a trunk with a vsphere; without one push does not touch vSphere.", attr)
			}
		}
		t.SwitchType, t.Hosts = "", nil
		return
	}
	switch t.SwitchType {
	case "":
		t.SwitchType = SwitchDistributed
	case SwitchDistributed, SwitchStandard:
	default:
		v.errorf(t.Range("switch_type"), "Unknown switch type",
			"switch_type %q is not \"distributed\" (a vSphere Distributed Switch, the default) or \"standard\" (a standard vSwitch on each ESXi host).", t.SwitchType)
		return
	}
	if !t.Has("hosts") {
		return
	}
	if t.SwitchType != SwitchStandard {
		v.errorf(t.Range("hosts"), "Hosts on a distributed switch",
			"hosts lists the ESXi hosts of a trunk on standard vSwitches (switch_type = \"standard\"); a distributed switch's hosts are its members, set in vSphere. Remove hosts, or set switch_type = \"standard\".")
		return
	}
	if len(t.Hosts) == 0 && len(t.items["hosts"]) == 0 && !t.unreadable("hosts") {
		v.errorf(t.Range("hosts"), "Empty hosts",
			"hosts = [] names no ESXi host. Remove it to mean every host of the clusters that run the trunk's agent VMs, or list the hosts.")
	}
	for i, h := range t.Hosts {
		switch {
		case strings.TrimSpace(h) == "" || strings.ContainsAny(h, " \t\n/"):
			v.errorf(t.ItemRange("hosts", i), "Invalid host name",
				"%q is not an ESXi host name; write it as vCenter shows it, such as \"esxi-1.example.com\".", h)
		case slices.Contains(t.Hosts[:i], h):
			v.errorf(t.ItemRange("hosts", i), "Duplicate host",
				"Host %q is listed twice in trunk %q.", h, t.Name)
		}
	}
}

var ipvlanModes = []string{"l2", "l3", "l3s"}
var macvlanModes = []string{"bridge", "private", "vepa", "passthru"}

func (v *validator) vlan(vl *VLAN) {
	if vl.Has("id") && (vl.ID < 1 || vl.ID > 4094) {
		v.errorf(vl.Range("id"), "VLAN id out of range", "VLAN id %d is outside 1 to 4094.", vl.ID)
	}
	v.vlanTrunk(vl)
	if vl.Subnet.IsValid() && vl.Gateway.IsValid() && !vl.Subnet.Contains(vl.Gateway) {
		v.errorf(vl.Range("gateway"), "Gateway outside its subnet", "Gateway %s is not inside subnet %s.", vl.Gateway, vl.Subnet)
	}
	if vl.Subnet.IsValid() && vl.Gateway.IsValid() &&
		(vl.Gateway == vl.Subnet.Addr() || vl.Gateway == lastAddr(vl.Subnet)) {
		v.errorf(vl.Range("gateway"), "Gateway is not a host address", "%s is the network or broadcast address of %s.", vl.Gateway, vl.Subnet)
	}
	v.driverMode(vl)
	v.macvlanTrunk(vl)
	v.vlan6(vl)
	if vl.Driver == "macvlan" && vl.Mode == "passthru" {
		v.warnf(vl.Range("mode"), "One container per agent",
			"In passthru mode the kernel allows one macvlan device on its parent, and Docker makes one per container: on each agent the first session on vlan %q starts and every further one fails. Use mode \"bridge\" for several sessions.", vl.Name)
	}
	if vl.Has("per_agent") && vl.Subnet.IsValid() {
		switch {
		case vl.PerAgent < vl.Subnet.Bits() || vl.PerAgent > 32:
			v.errorf(vl.Range("per_agent"), "Slice does not fit the subnet",
				"per_agent = %d asks for /%d slices, which do not fit in %s; use a prefix length from %d to 30.",
				vl.PerAgent, vl.PerAgent, vl.Subnet, vl.Subnet.Bits())
		case vl.PerAgent > 30:
			v.errorf(vl.Range("per_agent"), "Slice too small",
				"/%d slices hold fewer than 4 addresses; use a prefix length of at most 30.", vl.PerAgent)
		}
	}
	v.networkName(&vl.Block, vl.Network)
	v.verifyURL(&vl.Block, vl.VerifyURL)
}

// vlanTrunk resolves the VLAN's trunk and checks that it carries the id.
func (v *validator) vlanTrunk(vl *VLAN) {
	if vl.unreadable("trunk") {
		return
	}
	if vl.Trunk == "" {
		switch len(v.inv.Trunks) {
		case 0:
			return
		case 1:
			vl.Trunk = v.inv.Trunks[0].Name
		default:
			v.errorf(vl.DefRange, "Missing required argument",
				"There are %d trunks; say which one carries vlan %q with trunk = \"NAME\".", len(v.inv.Trunks), vl.Name)
			return
		}
	}
	t := v.trunkNamed(vl.Trunk)
	if t == nil {
		v.undefined(vl.Range("trunk"), "trunk", vl.Trunk)
		return
	}
	if vl.ID >= 1 && vl.ID <= 4094 && len(t.Ranges) > 0 && !t.Covers(vl.ID) {
		v.errorf(vl.Range("id"), "VLAN not carried by its trunk",
			"VLAN %d is not in the ranges of trunk %q (%s).", vl.ID, t.Name, rangesText(t.Ranges))
	}
}

func (v *validator) driverMode(vl *VLAN) {
	if vl.Driver == "" {
		vl.Driver = "ipvlan"
	}
	var modes []string
	switch vl.Driver {
	case "ipvlan":
		modes = ipvlanModes
	case "macvlan":
		modes = macvlanModes
	default:
		v.errorf(vl.Range("driver"), "Unknown driver", "Driver %q is not \"ipvlan\" or \"macvlan\".", vl.Driver)
		return
	}
	if vl.unreadable("driver") {
		return
	}
	if vl.Mode == "" {
		vl.Mode = modes[0]
		return
	}
	for _, m := range modes {
		if vl.Mode == m {
			return
		}
	}
	hint := ""
	if s := strings.ToLower(vl.Mode); slices.Contains(modes, s) {
		hint = fmt.Sprintf(" Did you mean %q? (Docker's modes are lowercase)", s)
	} else if s := strings.NewReplacer("1", "l").Replace(s); slices.Contains(modes, s) {
		hint = fmt.Sprintf(" Did you mean %q? (a lowercase L, not the digit one)", s)
	}
	v.errorf(vl.Range("mode"), "Unknown "+vl.Driver+" mode",
		"Mode %q is not one of %s.%s", vl.Mode, strings.Join(modes, ", "), hint)
}

func (v *validator) egress(e *Egress) {
	e.Bridge = v.bridgeName(&e.Block, e.Bridge, e.Network)
	v.networkName(&e.Block, e.Network)
	v.verifyURL(&e.Block, e.VerifyURL)
	if e.SourceIP != "" && !e.unreadable("add_address") {
		v.sourceIP(e.Range("source_ip"), e.SourceIP, e)
	}
}

// predefinedNetworks are the networks Docker creates itself on every host.
var predefinedNetworks = []string{"bridge", "host", "none"}

var dockerNameRe = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)

// networkName checks a Docker network name, and warns about Docker's
// choice of default gateway by network name.
func (v *validator) networkName(b *Block, name string) {
	if name == "" {
		return
	}
	if !dockerNameRe.MatchString(name) {
		v.errorf(b.Range("network"), "Invalid Docker network name",
			"%q must start with a letter or digit and hold only letters, digits, '_', '.' and '-'.", name)
		return
	}
	if slices.Contains(predefinedNetworks, name) {
		v.errorf(b.Range("network"), "Docker's predefined network name",
			"Docker predefines the network %q on every host and refuses to create another; choose another name, such as \"z_%s\".", name, name)
		return
	}
	if name < "kasm_default_network" {
		v.warnf(b.Range("network"), "Network name sorts before kasm_default_network",
			"Docker gives a container attached to several networks its default route through the network whose name sorts first. %q sorts before \"kasm_default_network\", so sessions on it could route Kasm's own traffic through it. Prefix the name with \"z_\" (as in \"z_%s\").", name, name)
	}
}

func (v *validator) verifyURL(b *Block, s string) {
	if s == "" {
		return
	}
	if u, err := url.Parse(s); err != nil || u.Scheme != "http" || u.Host == "" {
		v.errorf(b.Range("verify_url"), "Invalid verify URL", "%q is not an http:// URL.", s)
	}
}

func (v *validator) undefined(rng hcl.Range, kind, name string) {
	v.errorf(rng, "Reference to undefined "+kind, "No %s block is named %q.", kind, name)
}

func rangesText(rs []VIDRange) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = fmt.Sprint(r.Start)
		if r.End != r.Start {
			parts[i] += fmt.Sprintf("-%d", r.End)
		}
	}
	return strings.Join(parts, ", ")
}
