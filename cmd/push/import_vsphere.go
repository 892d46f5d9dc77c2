package main

import (
	"context"
	"fmt"
	"net/url"

	"github.com/kasmfleet/push/inventory"
	"github.com/kasmfleet/push/playbooks/importinv"
	"github.com/kasmfleet/push/remote/proto"
	"github.com/kasmfleet/push/remote/vsphere"
)

// importVSphereFlags name the trunk port group import reads from vCenter;
// the login comes from GOVC_* and is never written.
type importVSphereFlags struct {
	url, datacenter, dvSwitch, portGroup string
}

func (v *importVSphereFlags) set() bool { return v.portGroup != "" }

// observe reads the port group's VLAN ranges and the VMs named like the
// read agents, with the MACs of their NICs on it.
func (v *importVSphereFlags) observe(ctx context.Context, io stdio, hosts []importinv.Host) (*importinv.VSphere, error) {
	cfg := vsphere.ConfigFromEnv(vsphere.Config{URL: v.url, Datacenter: v.datacenter}, io.getenv)
	if cfg.Insecure {
		fmt.Fprintln(io.err, "push import: warning: vsphere: TLS certificate NOT verified (insecure)")
	}
	c, err := vsphere.Connect(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer c.Close(context.WithoutCancel(ctx))
	spec := proto.VSphereSpec{Server: "vc", Datacenter: cfg.Datacenter, Switch: v.dvSwitch, PortGroup: v.portGroup}
	for _, h := range hosts {
		if h.Facts != nil {
			spec.VMs = append(spec.VMs, proto.TrunkVM{Agent: h.Name, VM: h.Name})
		}
	}
	obs, err := c.Observe(ctx, spec)
	if err != nil {
		return nil, err
	}
	onTrunk, err := c.PortGroupVMs(ctx, obs)
	if err != nil {
		return nil, err
	}
	seen := importedVSphere(obs, onTrunk)
	return &seen, nil
}

// importedVSphere is what import writes of an observation: the server
// without credentials, the port group when it trunks, the VMs with a NIC
// on it (matched to agents by MAC, whatever their names), then the VMs
// named like agents.
func importedVSphere(obs vsphere.Observed, onTrunk []vsphere.PortGroupVM) importinv.VSphere {
	v := importinv.VSphere{Name: "vc", URL: obs.Server, Datacenter: obs.Datacenter}
	if u, err := url.Parse(obs.Server); err == nil {
		u.User = nil
		v.URL = u.String()
	}
	if pg := obs.PortGroup; pg.IsTrunk() {
		t := importinv.VSphereTrunk{Switch: obs.Switch.Name, PortGroup: pg.Name}
		for _, r := range pg.Ranges {
			t.VLANs = append(t.VLANs, inventory.VIDRange{Start: r.Start, End: r.End})
		}
		v.Trunks = append(v.Trunks, t)
	}
	listed := map[string]bool{}
	for _, vm := range onTrunk {
		v.VMs = append(v.VMs, importinv.VSphereVM{Name: vm.Name, Path: vm.Path, MACs: vm.MACs})
		listed[vm.Name] = vm.Path == ""
	}
	for _, vm := range obs.VMs {
		if vm.Missing || listed[vm.VM] {
			continue
		}
		seen := importinv.VSphereVM{Name: vm.VM}
		for _, n := range vm.NICs {
			seen.MACs = append(seen.MACs, n.MAC)
		}
		v.VMs = append(v.VMs, seen)
	}
	return v
}
