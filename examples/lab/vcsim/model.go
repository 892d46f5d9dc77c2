package main

import (
	"context"
	"fmt"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/kasmfleet/push/examples/lab/topology"
)

// Names in the lab's vCenter.
const (
	Datacenter = "Lab"
	Switch     = "DSwitch-Lab"
	TrunkPG    = "kasm-trunk"
)

// newModel creates one datacenter with one host, the lab's distributed
// switch and one VM per agent, each with its management NIC on "VM Network".
func newModel(ctx context.Context) (*simulator.Model, error) {
	agents := topology.Agents()
	model := simulator.VPX()
	model.Cluster, model.ClusterHost = 0, 0
	model.Host = 1
	model.Portgroup = 0
	model.Machine = len(agents)
	if err := model.Create(); err != nil {
		return nil, fmt.Errorf("create model: %w", err)
	}
	c, err := vim25.NewClient(ctx, model.Service)
	if err != nil {
		return nil, fmt.Errorf("model client: %w", err)
	}
	f := find.NewFinder(c)
	dc, err := f.DefaultDatacenter(ctx)
	if err != nil {
		return nil, fmt.Errorf("find datacenter: %w", err)
	}
	f.SetDatacenter(dc)
	vms, err := f.VirtualMachineList(ctx, "*")
	if err != nil {
		return nil, fmt.Errorf("find vms: %w", err)
	}
	if len(vms) != len(agents) {
		return nil, fmt.Errorf("model has %d vms, want %d", len(vms), len(agents))
	}
	for i, vm := range vms {
		if err := rename(ctx, vm.Common, agents[i].Name); err != nil {
			return nil, err
		}
	}
	if err := addSwitch(ctx, c, f, dc); err != nil {
		return nil, err
	}
	if err := rename(ctx, dc.Common, Datacenter); err != nil {
		return nil, err
	}
	return model, nil
}

func rename(ctx context.Context, o object.Common, name string) error {
	task, err := o.Rename(ctx, name)
	if err != nil {
		return fmt.Errorf("rename %s: %w", o.Reference(), err)
	}
	if err := task.Wait(ctx); err != nil {
		return fmt.Errorf("rename %s: %w", o.Reference(), err)
	}
	return nil
}

// addSwitch creates the distributed switch with every host as a member.
func addSwitch(ctx context.Context, c *vim25.Client, f *find.Finder, dc *object.Datacenter) error {
	folders, err := dc.Folders(ctx)
	if err != nil {
		return fmt.Errorf("datacenter folders: %w", err)
	}
	hosts, err := f.HostSystemList(ctx, "*")
	if err != nil {
		return fmt.Errorf("find hosts: %w", err)
	}
	spec := types.DVSCreateSpec{ConfigSpec: &types.VMwareDVSConfigSpec{
		DVSConfigSpec: types.DVSConfigSpec{Name: Switch},
	}}
	task, err := folders.NetworkFolder.CreateDVS(ctx, spec)
	if err != nil {
		return fmt.Errorf("create switch: %w", err)
	}
	info, err := task.WaitForResult(ctx)
	if err != nil {
		return fmt.Errorf("create switch: %w", err)
	}
	// The simulator takes members only by reconfiguring the switch.
	dvs := object.NewDistributedVirtualSwitch(c, info.Result.(types.ManagedObjectReference))
	var members types.DVSConfigSpec
	for _, h := range hosts {
		members.Host = append(members.Host, types.DistributedVirtualSwitchHostMemberConfigSpec{
			Operation: string(types.ConfigSpecOperationAdd),
			Host:      h.Reference(),
		})
	}
	task, err = dvs.Reconfigure(ctx, &members)
	if err != nil {
		return fmt.Errorf("add hosts to switch: %w", err)
	}
	if err := task.Wait(ctx); err != nil {
		return fmt.Errorf("add hosts to switch: %w", err)
	}
	return nil
}
