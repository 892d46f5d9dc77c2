package importinv

import (
	"slices"
	"strings"
)

// vsphere picks the port group that trunks every VLAN the agents serve,
// the NIC they share, and each agent's VM: the one holding the trunk
// NIC's MAC address, else the one named like the agent. An agent on the
// trunk with neither is bare metal.
func (l *layout) vsphere(f Fleet) {
	nics := map[string]bool{}
	var vids []int
	for _, a := range l.agents {
		if a.nic != "" {
			nics[a.nic] = true
		}
	}
	for _, b := range l.blocks {
		if b.kind == kindVLAN {
			vids = append(vids, b.vid)
		}
	}
	if len(nics) == 1 {
		for n := range nics {
			l.nic = n
		}
	}
	if f.VSphere == nil {
		return
	}
	for i, t := range f.VSphere.Trunks {
		if len(vids) > 0 && !slices.ContainsFunc(vids, func(id int) bool { return !t.carries(id) }) {
			l.trunk = &f.VSphere.Trunks[i]
			break
		}
	}
	if l.trunk == nil && len(vids) > 0 {
		l.notes = append(l.notes, "no port group in vSphere trunks every VLAN the agents serve; the trunk block is left out")
	}
	for _, a := range l.agents {
		a.vm = findVM(f.VSphere.VMs, a)
		if a.vm == "" && l.trunk != nil && a.nic != "" {
			a.bareMetal = true
			a.notes = append(a.notes, "no VM in vCenter has this agent's trunk MAC address or its name: written as bare_metal (vSphere leaves it out); if it is a VM, write its vm instead")
		}
	}
}

func (t VSphereTrunk) carries(id int) bool {
	for _, r := range t.VLANs {
		if r.Start <= id && id <= r.End {
			return true
		}
	}
	return false
}

func findVM(vms []VSphereVM, a *agent) string {
	if t := a.Facts.Trunk; t != nil && t.MAC != "" {
		for _, vm := range vms {
			if slices.ContainsFunc(vm.MACs, func(m string) bool { return strings.EqualFold(m, t.MAC) }) {
				return vm.ref()
			}
		}
	}
	for _, vm := range vms {
		if vm.Name == a.Name || vm.Name == a.Facts.Hostname {
			return vm.ref()
		}
	}
	return ""
}

func (vm VSphereVM) ref() string {
	if vm.Path != "" {
		return vm.Path
	}
	return vm.Name
}
