package main

import (
	"fmt"
	"strings"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// wrapTrunkVMs replaces each lab agent's VM in the simulator's registry
// with a trunkVM around it (same reference), the simulator's documented way
// to change a method of one object (see its example_extend_test.go).
func wrapTrunkVMs(r *simulator.Registry, macs map[string]string) error {
	wrapped := 0
	for _, obj := range r.All("VirtualMachine") {
		vm, ok := obj.(*simulator.VirtualMachine)
		if !ok {
			continue
		}
		if mac, ok := macs[vm.Name]; ok {
			r.Put(&trunkVM{VirtualMachine: vm, mac: mac})
			wrapped++
		}
	}
	if wrapped != len(macs) {
		return fmt.Errorf("wrapped %d of %d lab vms", wrapped, len(macs))
	}
	return nil
}

// trunkVM is a simulated VM whose NIC on the trunk port group gets the MAC
// of the lab VM's trunk NIC.
type trunkVM struct {
	*simulator.VirtualMachine
	mac string
}

// ReconfigVMTask sets the trunk MAC on NICs added on TrunkPG, then lets the
// simulator reconfigure the VM.
func (vm *trunkVM) ReconfigVMTask(ctx *simulator.Context, req *types.ReconfigVM_Task) soap.HasFault {
	for _, change := range req.Spec.DeviceChange {
		spec := change.GetVirtualDeviceConfigSpec()
		if spec.Operation != types.VirtualDeviceConfigSpecOperationAdd {
			continue
		}
		card, ok := spec.Device.(types.BaseVirtualEthernetCard)
		if !ok || !onPortgroup(ctx, card.GetVirtualEthernetCard().Backing, TrunkPG) {
			continue
		}
		nic := card.GetVirtualEthernetCard()
		nic.AddressType = string(types.VirtualEthernetCardMacTypeManual)
		nic.MacAddress = strings.ToLower(vm.mac)
	}
	return vm.VirtualMachine.ReconfigVMTask(ctx, req)
}

func onPortgroup(ctx *simulator.Context, backing types.BaseVirtualDeviceBackingInfo, name string) bool {
	b, ok := backing.(*types.VirtualEthernetCardDistributedVirtualPortBackingInfo)
	if !ok {
		return false
	}
	ref := types.ManagedObjectReference{Type: "DistributedVirtualPortgroup", Value: b.Port.PortgroupKey}
	pg, ok := ctx.Map.Get(ref).(*simulator.DistributedVirtualPortgroup)
	return ok && pg.Name == name
}
