package vsphere

import (
	"github.com/kasmfleet/push/remote/proto"
	"github.com/vmware/govmomi/vim25/types"
)

// Observed is what vCenter has for one trunk, as far as push manages it.
// Observe fills it; Diff compares it with the spec.
type Observed struct {
	Server     string `json:"server"` // SDK URL, no credentials
	Datacenter string `json:"datacenter"`
	Switch     Switch `json:"switch"`
	// PortGroup is the switch's port group of the spec's name; nil when
	// the switch has none.
	PortGroup *PortGroup `json:"portgroup,omitempty"`
	// Foreign describes a network of the port group's name that is not on
	// the switch (another switch's port group, a standard port group):
	// push cannot create its own beside it and does not touch it.
	Foreign string    `json:"foreign,omitempty"`
	VMs     []VMState `json:"vms"`
	// Standard is set for a trunk on standard vSwitches; then Switch is
	// only the vSwitch's name, PortGroup is nil, and Hosts holds each ESXi
	// host's port group instead.
	Standard bool        `json:"standard,omitempty"`
	Hosts    []HostState `json:"hosts,omitempty"`

	networkFolder types.ManagedObjectReference // the datacenter's
	vmFolder      types.ManagedObjectReference // the datacenter's
}

// Switch is the distributed virtual switch the trunk lives on.
type Switch struct {
	Name string `json:"name"`
	UUID string `json:"uuid"`
	// Version is the switch's product version ("7.0.3"); MAC learning
	// needs 6.6.0 or later.
	Version string                       `json:"version,omitempty"`
	Ref     types.ManagedObjectReference `json:"-"`
}

// VLAN modes of a port group.
const (
	VLANTrunk   = "trunk" // VLAN trunking over ranges
	VLANID      = "vlan"  // one VLAN id; 0 means none
	VLANPrivate = "pvlan"
	VLANUnknown = "unknown"
)

// PortGroup is a distributed port group's settings that push manages.
type PortGroup struct {
	Name string `json:"name"`
	Key  string `json:"key"`
	// VLANMode is VLANTrunk, VLANID, VLANPrivate or VLANUnknown.
	VLANMode string        `json:"vlan_mode"`
	Ranges   []proto.Range `json:"ranges,omitempty"`  // trunk ranges, normalized
	VLANID   int           `json:"vlan_id,omitempty"` // VLANID and VLANPrivate modes
	// Binding is vSphere's port group type: earlyBinding (static),
	// lateBinding (dynamic) or ephemeral.
	Binding    string `json:"binding"`
	NumPorts   int    `json:"num_ports"`
	AutoExpand bool   `json:"auto_expand"` // elastic port allocation
	// MAC is how the port group treats frames of other MACs (macvlan).
	MAC MACPolicy `json:"mac"`

	Ref           types.ManagedObjectReference `json:"-"`
	ConfigVersion string                       `json:"-"`
}

// IsTrunk reports whether the port group trunks VLANs, i.e. is one push
// may reconfigure.
func (p *PortGroup) IsTrunk() bool { return p != nil && p.VLANMode == VLANTrunk }

// VMState is one agent's VM and its NICs on the trunk port group.
type VMState struct {
	Agent string `json:"agent"`
	VM    string `json:"vm"` // as the spec names it
	// Missing is set when no VM, or more than one, answers to VM; Problem
	// says which.
	Missing    bool   `json:"missing,omitempty"`
	Problem    string `json:"problem,omitempty"`
	PowerState string `json:"power_state,omitempty"`
	// NICs are the VM's NICs backed by the trunk port group, in device
	// order; empty when the port group does not exist.
	NICs []NIC `json:"nics,omitempty"`
	// Other is the number of the VM's other NICs, for messages.
	Other int `json:"other_nics"`
	// Host is the ESXi host the VM is registered on; read for standard
	// vSwitch trunks only.
	Host string `json:"host,omitempty"`

	Ref     types.ManagedObjectReference `json:"-"`
	HostRef types.ManagedObjectReference `json:"-"`
}

// PoweredOn reports whether the VM runs: only then can a NIC be connected
// now rather than at the next power-on.
func (v VMState) PoweredOn() bool {
	return v.PowerState == string(types.VirtualMachinePowerStatePoweredOn)
}

// NIC is a virtual network adapter on the trunk port group.
type NIC struct {
	Key            int32  `json:"key"`
	Label          string `json:"label"` // "Network adapter 2"
	Type           string `json:"type"`  // "vmxnet3", "e1000e", …
	MAC            string `json:"mac"`
	Connected      bool   `json:"connected"`
	StartConnected bool   `json:"start_connected"`
}

// AgentNIC is the trunk NIC of one agent's VM, for the host step: a
// trunk_nic = "auto" agent finds its interface by MAC.
type AgentNIC struct {
	Agent          string `json:"agent"`
	VM             string `json:"vm"`
	MAC            string `json:"mac"`
	Connected      bool   `json:"connected"`
	StartConnected bool   `json:"start_connected"`
}

// AgentNICs lists the trunk NIC of every agent whose VM has one, in spec
// order. A VM with several NICs on the trunk gives the first. Nothing is
// listed while the port group is not a trunk: a NIC on it is no trunk NIC.
//
// On standard vSwitches the same holds per ESXi host: a VM's NIC is listed
// when the port group on the VM's host has VLAN 4095 on the right vSwitch.
func (o Observed) AgentNICs() []AgentNIC {
	if !o.Standard && !o.PortGroup.IsTrunk() {
		return nil
	}
	var out []AgentNIC
	for _, v := range o.VMs {
		if v.Missing || len(v.NICs) == 0 {
			continue
		}
		if o.Standard && !o.host(v.Host).IsTrunk(o.Switch.Name) {
			continue
		}
		n := v.NICs[0]
		out = append(out, AgentNIC{Agent: v.Agent, VM: v.VM, MAC: n.MAC, Connected: n.Connected, StartConnected: n.StartConnected})
	}
	return out
}

// MAC returns the trunk NIC's MAC address of agent, or "" when it has none.
func (o Observed) MAC(agent string) string {
	for _, n := range o.AgentNICs() {
		if n.Agent == agent {
			return n.MAC
		}
	}
	return ""
}
