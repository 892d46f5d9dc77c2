package proto

// VSphereSpec is what vCenter should look like for one trunk: a
// distributed port group trunking the VLANs (or, on standard vSwitches, a
// port group with VLAN 4095 on each ESXi host), and a NIC on it in every
// agent's VM. It never carries credentials; those stay in the inventory.
type VSphereSpec struct {
	Server     string `json:"server"` // name of the inventory's vsphere block
	URL        string `json:"url"`
	Datacenter string `json:"datacenter"`
	Trunk      string `json:"trunk"` // name of the inventory's trunk block
	// SwitchType is SwitchDistributed ("" means the same) or SwitchStandard.
	SwitchType string `json:"switch_type,omitempty"`
	// Switch names the distributed switch, or the standard vSwitch that
	// every host in Hosts has ("vSwitch0").
	Switch    string `json:"switch"`
	PortGroup string `json:"portgroup"`
	// Hosts are the ESXi hosts that get the standard port group; empty:
	// every host of the clusters (or standalone hosts) running the VMs.
	// Only with SwitchStandard.
	Hosts []string  `json:"hosts,omitempty"`
	VLANs []Range   `json:"vlans"`
	Ports int       `json:"ports,omitempty"` // 0: vSphere's default, elastic
	VMs   []TrunkVM `json:"vms"`
	// Macvlan names the trunk's macvlan networks (Docker network names,
	// sorted). When there is one, the port group must pass frames whose
	// MAC is a container's, not the VM NIC's: MAC learning on a
	// distributed switch that has it, else the security policy
	// (promiscuous mode, MAC changes, forged transmits).
	Macvlan []string `json:"macvlan,omitempty"`
}

// Switch types of a VSphereSpec.
const (
	SwitchDistributed = "distributed"
	SwitchStandard    = "standard"
)

// IsStandard reports whether the trunk lives on standard vSwitches.
func (s VSphereSpec) IsStandard() bool { return s.SwitchType == SwitchStandard }

// Range is an inclusive VLAN id range.
type Range struct {
	Start int `json:"start"`
	End   int `json:"end"`
}

// TrunkVM is an agent whose VM needs a NIC on the trunk port group.
type TrunkVM struct {
	Agent string `json:"agent"`
	VM    string `json:"vm"` // name or inventory path
}
