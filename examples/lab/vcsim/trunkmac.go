package main

import (
	"strings"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// trunkMACHandler routes ReconfigVM_Task on a lab agent's VM through
// trunkVM; every other call goes to the simulator's own object.
func trunkMACHandler(macs map[string]string) func(*simulator.Context, *simulator.Method) (mo.Reference, types.BaseMethodFault) {
	return func(ctx *simulator.Context, m *simulator.Method) (mo.Reference, types.BaseMethodFault) {
		if m.Name != "ReconfigVM_Task" {
			return nil, nil
		}
		vm, ok := ctx.Map.Get(m.This).(*simulator.VirtualMachine)
		if !ok {
			return nil, nil
		}
		mac, ok := macs[vm.Name]
		if !ok {
			return nil, nil
		}
		return &trunkVM{VirtualMachine: vm, mac: mac}, nil
	}
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
