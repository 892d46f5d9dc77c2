package main

import (
	"reflect"
	"testing"

	"github.com/kasmfleet/push/inventory"
	"github.com/kasmfleet/push/playbooks/importinv"
	"github.com/kasmfleet/push/remote/proto"
	"github.com/kasmfleet/push/remote/vsphere"
)

// TestImportedVSphere: the server is written without credentials, the port
// group only when it trunks, the VMs on the port group whatever their names
// (import matches them by MAC), then those named like agents that were found.
func TestImportedVSphere(t *testing.T) {
	obs := vsphere.Observed{Server: "https://admin:s3cret@vc.example.com/sdk", Datacenter: "DC1",
		Switch:    vsphere.Switch{Name: "DSwitch"},
		PortGroup: &vsphere.PortGroup{Name: "kasm-trunk", VLANMode: vsphere.VLANTrunk, Ranges: []proto.Range{{Start: 150, End: 150}, {Start: 160, End: 169}}},
		VMs: []vsphere.VMState{
			{Agent: "a1", VM: "a1", NICs: []vsphere.NIC{{MAC: "00:50:56:00:00:01"}}},
			{Agent: "a2", VM: "a2", Missing: true, Problem: "no VM a2"},
		}}
	onTrunk := []vsphere.PortGroupVM{{Name: "vm-0481", MACs: []string{"00:50:56:00:00:11"}},
		{Name: "a3", Path: "/DC1/vm/kasm/a3", MACs: []string{"00:50:56:00:00:03"}}}
	want := importinv.VSphere{Name: "vc", URL: "https://vc.example.com/sdk", Datacenter: "DC1",
		Trunks: []importinv.VSphereTrunk{{Switch: "DSwitch", PortGroup: "kasm-trunk", VLANs: []inventory.VIDRange{{Start: 150, End: 150}, {Start: 160, End: 169}}}},
		VMs: []importinv.VSphereVM{{Name: "vm-0481", MACs: []string{"00:50:56:00:00:11"}},
			{Name: "a3", Path: "/DC1/vm/kasm/a3", MACs: []string{"00:50:56:00:00:03"}},
			{Name: "a1", MACs: []string{"00:50:56:00:00:01"}}}}
	if got := importedVSphere(obs, onTrunk); !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	obs.PortGroup.VLANMode = vsphere.VLANID
	if got := importedVSphere(obs, nil); len(got.Trunks) != 0 {
		t.Errorf("a port group with one VLAN id was taken as the trunk: %+v", got.Trunks)
	}
}
