package vsphere

import (
	"testing"

	"github.com/kasmfleet/push/remote/proto"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// hostNetwork completes vcsim's HostNetworkSystem (v0.56.0) where it
// departs from vCenter for standard port groups:
//   - AddPortGroup refuses a name that any network of the datacenter has
//     (DuplicateName), so a second host cannot get the port group the
//     first has; vCenter gives both hosts' port groups one Network. Here
//     the host-local part is done and the existing Network kept.
//   - UpdatePortGroup is not implemented; here it replaces the spec of the
//     host's port group, moving it between vSwitches as ESXi does.
//
// Everything else is the simulator's own.
type hostNetwork struct {
	*simulator.HostNetworkSystem
}

func (s *hostNetwork) AddPortGroup(ctx *simulator.Context, req *types.AddPortGroup) soap.HasFault {
	body := s.HostNetworkSystem.AddPortGroup(ctx, req).(*methods.AddPortGroupBody)
	if body.Fault_ == nil {
		return body
	}
	dup, ok := body.Fault_.Detail.Fault.(*types.DuplicateName)
	if !ok || dup.Object.Type != "Network" {
		return body
	}
	for _, pg := range s.NetworkInfo.Portgroup {
		if pg.Spec.Name == req.Portgrp.Name {
			return body // this host has it already: a real duplicate
		}
	}
	for i := range s.NetworkInfo.Vswitch {
		if sw := &s.NetworkInfo.Vswitch[i]; sw.Name == req.Portgrp.VswitchName {
			sw.Portgroup = append(sw.Portgroup, req.Portgrp.Name)
		}
	}
	s.NetworkInfo.Portgroup = append(s.NetworkInfo.Portgroup, types.HostPortGroup{
		Key: "key-vim.host.PortGroup-" + req.Portgrp.Name, Spec: req.Portgrp})
	return &methods.AddPortGroupBody{Res: &types.AddPortGroupResponse{}}
}

func (s *hostNetwork) UpdatePortGroup(ctx *simulator.Context, req *types.UpdatePortGroup) soap.HasFault {
	for i := range s.NetworkInfo.Portgroup {
		pg := &s.NetworkInfo.Portgroup[i]
		if pg.Spec.Name != req.PgName {
			continue
		}
		if req.Portgrp.VswitchName != pg.Spec.VswitchName {
			for j := range s.NetworkInfo.Vswitch {
				sw := &s.NetworkInfo.Vswitch[j]
				switch sw.Name {
				case pg.Spec.VswitchName:
					sw.Portgroup = removeString(sw.Portgroup, req.PgName)
				case req.Portgrp.VswitchName:
					sw.Portgroup = append(sw.Portgroup, req.PgName)
				}
			}
		}
		pg.Spec = req.Portgrp
		return &methods.UpdatePortGroupBody{Res: &types.UpdatePortGroupResponse{}}
	}
	return &methods.UpdatePortGroupBody{Fault_: simulator.Fault("", &types.NotFound{})}
}

func removeString(list []string, s string) []string {
	var out []string
	for _, x := range list {
		if x != s {
			out = append(out, x)
		}
	}
	return out
}

// newStandardSim is a simulator whose hosts' network systems behave as
// vCenter's do for standard port groups (see hostNetwork).
func newStandardSim(t *testing.T) *sim {
	t.Helper()
	s := newSim(t)
	for _, h := range s.hosts(t) {
		ns := s.model.Map().Get(*h.ConfigManager.NetworkSystem).(*simulator.HostNetworkSystem)
		s.model.Map().Put(&hostNetwork{ns})
	}
	return s
}

// hosts lists the simulator's ESXi hosts (DC0_H0, DC0_C0_H0-2).
func (s *sim) hosts(t *testing.T) map[string]mo.HostSystem {
	t.Helper()
	ctx := testCtx(t)
	list, err := s.finder(t).HostSystemList(ctx, "*")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]mo.HostSystem{}
	for _, h := range list {
		var m mo.HostSystem
		if err := s.admin.PropertyCollector().RetrieveOne(ctx, h.Reference(), []string{"name", "configManager", "runtime"}, &m); err != nil {
			t.Fatal(err)
		}
		out[m.Name] = m
	}
	return out
}

func (s *sim) hostNetworkSystem(t *testing.T, host string) *object.HostNetworkSystem {
	t.Helper()
	h, ok := s.hosts(t)[host]
	if !ok {
		t.Fatalf("no host %s", host)
	}
	return object.NewHostNetworkSystem(s.admin.Client, *h.ConfigManager.NetworkSystem)
}

// hostPortGroup reads a host's port group independently of the package;
// nil when the host has none of that name.
func (s *sim) hostPortGroup(t *testing.T, host, name string) *types.HostPortGroupSpec {
	t.Helper()
	var m mo.HostNetworkSystem
	ns := s.hostNetworkSystem(t, host)
	if err := s.admin.PropertyCollector().RetrieveOne(testCtx(t), ns.Reference(), []string{"networkInfo"}, &m); err != nil {
		t.Fatal(err)
	}
	for _, pg := range m.NetworkInfo.Portgroup {
		if pg.Spec.Name == name {
			return &pg.Spec
		}
	}
	return nil
}

// vmHost is the name of the host a VM runs on.
func (s *sim) vmHost(t *testing.T, vm string) string {
	t.Helper()
	ctx := testCtx(t)
	h, err := s.vm(t, vm).HostSystem(ctx)
	if err != nil {
		t.Fatal(err)
	}
	name, err := h.ObjectName(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return name
}

// standardNICs lists the VM's adapters backed by the standard port group.
func (s *sim) standardNICs(t *testing.T, vm, pg string) []types.BaseVirtualEthernetCard {
	t.Helper()
	return s.nicsWhere(t, vm, func(b types.BaseVirtualDeviceBackingInfo) bool {
		n, ok := b.(*types.VirtualEthernetCardNetworkBackingInfo)
		return ok && n.DeviceName == pg
	})
}

func standardSpec(hosts []string, vms ...string) proto.VSphereSpec {
	spec := trunkSpec(vms...)
	spec.SwitchType, spec.Switch, spec.Hosts = proto.SwitchStandard, "vSwitch0", hosts
	return spec
}

// setHostState sets a host's connection state as vCenter would show it.
func setHostState(s *sim, ref types.ManagedObjectReference, state types.HostSystemConnectionState) {
	h := s.model.Map().Get(ref).(*simulator.HostSystem)
	h.Runtime.ConnectionState = state
}
