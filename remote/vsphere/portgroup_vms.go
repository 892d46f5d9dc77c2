package vsphere

import (
	"context"
	"fmt"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25/mo"
)

// PortGroupVM is a VM with a NIC on the trunk port group, whatever its
// name: push import matches an agent to its VM by the MAC address of the
// trunk NIC the host reports.
type PortGroupVM struct {
	Name string `json:"name"`
	// Path is the VM's inventory path, set only when another VM of the
	// datacenter has the same name.
	Path string   `json:"path,omitempty"`
	MACs []string `json:"macs"` // of its NICs on the port group, lower case
}

// PortGroupVMs lists the VMs with a NIC on o's distributed port group
// (o from Observe); none when the port group does not exist. It changes
// nothing.
func (c *Client) PortGroupVMs(ctx context.Context, o Observed) ([]PortGroupVM, error) {
	vms, err := c.portGroupVMs(ctx, o)
	return vms, c.redact(err)
}

func (c *Client) portGroupVMs(ctx context.Context, o Observed) ([]PortGroupVM, error) {
	if o.Standard || o.PortGroup == nil || o.vmFolder.Value == "" {
		return nil, nil
	}
	// Every VM of the datacenter with its devices: the port group's own
	// list of VMs (Network.vm) is not kept by every vCenter (vcsim).
	v, err := view.NewManager(c.vc).CreateContainerView(ctx, o.vmFolder, []string{"VirtualMachine"}, true)
	if err != nil {
		return nil, fmt.Errorf("list VMs: %w", inWords(err))
	}
	defer func() { _ = v.Destroy(context.WithoutCancel(ctx)) }()
	var vms []mo.VirtualMachine
	if err := v.Retrieve(ctx, []string{"VirtualMachine"}, []string{"name", "config.hardware.device"}, &vms); err != nil {
		return nil, fmt.Errorf("list VMs: %w", inWords(err))
	}
	named := map[string]int{}
	for _, vm := range vms {
		named[unescape(vm.Name)]++
	}
	att := distributedAttachment(o.Switch, o.PortGroup)
	var out []PortGroupVM
	for _, vm := range vms {
		v := PortGroupVM{Name: unescape(vm.Name)}
		if vm.Config != nil {
			nics, _ := trunkNICs(vm.Config.Hardware.Device, att)
			for _, n := range nics {
				v.MACs = append(v.MACs, n.MAC)
			}
		}
		if len(v.MACs) == 0 {
			continue
		}
		if named[v.Name] > 1 {
			p, err := find.InventoryPath(ctx, c.vc, vm.Self)
			if err != nil {
				return nil, fmt.Errorf("inventory path of VM %s: %w", v.Name, inWords(err))
			}
			v.Path = p
		}
		out = append(out, v)
	}
	return out, nil
}
