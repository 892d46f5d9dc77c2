package proto

// VSphereSpec is what vCenter should look like for one trunk: a
// distributed port group trunking the VLANs, and a NIC on it in every
// agent's VM. It never carries credentials; those stay in the inventory.
type VSphereSpec struct {
	Server     string    `json:"server"` // name of the inventory's vsphere block
	URL        string    `json:"url"`
	Datacenter string    `json:"datacenter"`
	Trunk      string    `json:"trunk"` // name of the inventory's trunk block
	Switch     string    `json:"switch"`
	PortGroup  string    `json:"portgroup"`
	VLANs      []Range   `json:"vlans"`
	Ports      int       `json:"ports,omitempty"` // 0: vSphere's default, elastic
	VMs        []TrunkVM `json:"vms"`
}

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
