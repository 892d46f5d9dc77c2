package vsphere

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/kasmfleet/push/remote/proto"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// Observe reads what vCenter has for spec; it changes nothing. A missing
// datacenter or distributed switch is an error (wrapping ErrNotFound); a
// missing VM, ESXi host or standard vSwitch is recorded in its state, so
// that the others are still observed.
func (c *Client) Observe(ctx context.Context, spec proto.VSphereSpec) (Observed, error) {
	o, err := c.observe(ctx, spec)
	return o, c.redact(err)
}

func (c *Client) observe(ctx context.Context, spec proto.VSphereSpec) (Observed, error) {
	if spec.IsStandard() {
		return c.observeStandard(ctx, spec)
	}
	o := Observed{Server: c.server}
	finder := find.NewFinder(c.vc, false)
	dc, err := c.datacenterOf(ctx, finder, spec)
	if err != nil {
		return o, err
	}
	finder.SetDatacenter(dc)
	o.Datacenter = dc.Name()

	pc := property.DefaultCollector(c.vc)
	o.Switch, err = c.observeSwitch(ctx, finder, pc, spec.Switch, o.Datacenter)
	if err != nil {
		return o, err
	}
	o.PortGroup, err = c.observePortGroup(ctx, pc, o.Switch, spec.PortGroup)
	if err != nil {
		return o, err
	}
	folders, err := dc.Folders(ctx)
	if err != nil {
		return o, fmt.Errorf("datacenter %s folders: %w", o.Datacenter, inWords(err))
	}
	o.networkFolder = folders.NetworkFolder.Reference()
	o.vmFolder = folders.VmFolder.Reference()
	if o.PortGroup == nil {
		o.Foreign, err = c.foreignNetwork(ctx, o.networkFolder, spec.PortGroup, false)
		if err != nil {
			return o, err
		}
	}
	o.VMs, err = c.observeVMs(ctx, finder, pc, folders.VmFolder.Reference(), spec.VMs, distributedAttachment(o.Switch, o.PortGroup))
	return o, err
}

func (c *Client) datacenterOf(ctx context.Context, finder *find.Finder, spec proto.VSphereSpec) (*object.Datacenter, error) {
	name := spec.Datacenter
	if name == "" {
		name = c.datacenter
	}
	var dc *object.Datacenter
	var err error
	if name == "" {
		dc, err = finder.DefaultDatacenter(ctx)
	} else {
		dc, err = finder.Datacenter(ctx, name)
	}
	var nf *find.NotFoundError
	var dnf *find.DefaultNotFoundError
	var mf *find.MultipleFoundError
	switch {
	case err == nil:
		return dc, nil
	case errors.As(err, &nf):
		return nil, fmt.Errorf("datacenter %q on %s: %w", name, c.server, ErrNotFound)
	case errors.As(err, &dnf), errors.As(err, &mf):
		return nil, fmt.Errorf("%w: %s has no single datacenter; name one (datacenter, GOVC_DATACENTER)", ErrNotFound, c.server)
	default:
		return nil, fmt.Errorf("find datacenter %q: %w", name, inWords(err))
	}
}

func (c *Client) observeSwitch(ctx context.Context, finder *find.Finder, pc *property.Collector, name, dc string) (Switch, error) {
	if name == "" {
		return Switch{}, fmt.Errorf("%w: no distributed switch named in the trunk", ErrConfig)
	}
	ref, err := finder.Network(ctx, name)
	var nf *find.NotFoundError
	switch {
	case errors.As(err, &nf):
		return Switch{}, fmt.Errorf("distributed switch %q in datacenter %s: %w", name, dc, ErrNotFound)
	case err != nil:
		return Switch{}, fmt.Errorf("find distributed switch %q: %w", name, inWords(err))
	}
	r := ref.Reference()
	if r.Type != "VmwareDistributedVirtualSwitch" && r.Type != "DistributedVirtualSwitch" {
		return Switch{}, fmt.Errorf("distributed switch %q in datacenter %s: %w (it is a %s)", name, dc, ErrNotFound, r.Type)
	}
	var s mo.DistributedVirtualSwitch
	if err := pc.RetrieveOne(ctx, r, []string{"name", "uuid", "summary.productInfo"}, &s); err != nil {
		return Switch{}, fmt.Errorf("read distributed switch %q: %w", name, inWords(err))
	}
	sw := Switch{Name: unescape(s.Name), UUID: s.Uuid, Ref: r}
	if s.Summary.ProductInfo != nil {
		sw.Version = s.Summary.ProductInfo.Version
	}
	return sw, nil
}

// observePortGroup finds the switch's port group called name; nil when
// there is none. It reads the switch's port group list fresh, so that it
// also serves the read back after a create.
func (c *Client) observePortGroup(ctx context.Context, pc *property.Collector, sw Switch, name string) (*PortGroup, error) {
	var s mo.DistributedVirtualSwitch
	if err := pc.RetrieveOne(ctx, sw.Ref, []string{"portgroup"}, &s); err != nil {
		return nil, fmt.Errorf("read port groups of switch %s: %w", sw.Name, inWords(err))
	}
	if len(s.Portgroup) == 0 {
		return nil, nil
	}
	var pgs []mo.DistributedVirtualPortgroup
	if err := pc.Retrieve(ctx, s.Portgroup, []string{"name", "config"}, &pgs); err != nil {
		return nil, fmt.Errorf("read port groups of switch %s: %w", sw.Name, inWords(err))
	}
	for _, pg := range pgs {
		if unescape(pg.Name) == name || pg.Config.Name == name {
			return portGroupOf(pg), nil
		}
	}
	return nil, nil
}

func portGroupOf(pg mo.DistributedVirtualPortgroup) *PortGroup {
	cfg := pg.Config
	p := &PortGroup{
		Name:          cfg.Name,
		Key:           cfg.Key,
		Binding:       cfg.Type,
		NumPorts:      int(cfg.NumPorts),
		AutoExpand:    cfg.AutoExpand != nil && *cfg.AutoExpand,
		Ref:           pg.Self,
		ConfigVersion: cfg.ConfigVersion,
		VLANMode:      VLANUnknown,
	}
	if p.Name == "" {
		p.Name = unescape(pg.Name)
	}
	if p.Key == "" {
		p.Key = pg.Self.Value
	}
	setting, ok := cfg.DefaultPortConfig.(*types.VMwareDVSPortSetting)
	if !ok || setting == nil {
		return p
	}
	p.MAC = macPolicyOf(setting)
	switch v := setting.Vlan.(type) {
	case *types.VmwareDistributedVirtualSwitchTrunkVlanSpec:
		p.VLANMode = VLANTrunk
		var rs []proto.Range
		for _, r := range v.VlanId {
			rs = append(rs, proto.Range{Start: int(r.Start), End: int(r.End)})
		}
		p.Ranges = NormalizeRanges(rs)
	case *types.VmwareDistributedVirtualSwitchVlanIdSpec:
		p.VLANMode = VLANID
		p.VLANID = int(v.VlanId)
	case *types.VmwareDistributedVirtualSwitchPvlanSpec:
		p.VLANMode = VLANPrivate
		p.VLANID = int(v.PvlanId)
	case nil:
		// No VLAN setting at all is a port group without VLAN.
		p.VLANMode = VLANID
	}
	return p
}

// foreignNetwork describes a network named name anywhere in the
// datacenter's network folder, or returns "" when there is none. With
// standard, standard port groups are not foreign: they are the trunk's.
func (c *Client) foreignNetwork(ctx context.Context, folder types.ManagedObjectReference, name string, standard bool) (string, error) {
	nets, err := c.networks(ctx, folder)
	if err != nil {
		return "", err
	}
	for _, n := range nets {
		if unescape(n.Name) != name || (standard && n.Self.Type == "Network") {
			continue
		}
		switch n.Self.Type {
		case "DistributedVirtualPortgroup":
			return fmt.Sprintf("a distributed port group %q on another switch", name), nil
		case "Network":
			return fmt.Sprintf("a standard port group %q", name), nil
		default:
			return fmt.Sprintf("a network %q (%s)", name, n.Self.Type), nil
		}
	}
	return "", nil
}

// networks lists every network of the datacenter's network folder.
func (c *Client) networks(ctx context.Context, folder types.ManagedObjectReference) ([]mo.Network, error) {
	v, err := view.NewManager(c.vc).CreateContainerView(ctx, folder, []string{"Network"}, true)
	if err != nil {
		return nil, fmt.Errorf("list networks: %w", inWords(err))
	}
	defer func() { _ = v.Destroy(context.WithoutCancel(ctx)) }()
	var nets []mo.Network
	if err := v.Retrieve(ctx, []string{"Network"}, []string{"name"}, &nets); err != nil {
		return nil, fmt.Errorf("list networks: %w", inWords(err))
	}
	return nets, nil
}

// observeVMs finds every spec VM (by name with one listing of the
// datacenter, by inventory path with the finder) and reads its NICs on
// the trunk (those backed as att says) and the host it runs on.
func (c *Client) observeVMs(ctx context.Context, finder *find.Finder, pc *property.Collector, folder types.ManagedObjectReference, want []proto.TrunkVM, att attachment) ([]VMState, error) {
	if len(want) == 0 {
		return nil, nil
	}
	byName, err := c.vmsByName(ctx, folder)
	if err != nil {
		return nil, err
	}
	states := make([]VMState, len(want))
	var refs []types.ManagedObjectReference
	for i, w := range want {
		st := VMState{Agent: w.Agent, VM: w.VM}
		switch {
		case w.VM == "":
			st.Missing, st.Problem = true, "no VM named for the agent"
		case strings.Contains(w.VM, "/"):
			vm, err := finder.VirtualMachine(ctx, w.VM)
			var nf *find.NotFoundError
			switch {
			case errors.As(err, &nf):
				st.Missing, st.Problem = true, fmt.Sprintf("no VM at inventory path %s", w.VM)
			case err != nil:
				return nil, fmt.Errorf("find VM %s: %w", w.VM, inWords(err))
			default:
				st.Ref = vm.Reference()
			}
		default:
			switch found := byName[w.VM]; len(found) {
			case 0:
				st.Missing, st.Problem = true, fmt.Sprintf("no VM named %s", w.VM)
			case 1:
				st.Ref = found[0]
			default:
				st.Missing, st.Problem = true, fmt.Sprintf("%d VMs are named %s; give its inventory path", len(found), w.VM)
			}
		}
		if !st.Missing {
			refs = append(refs, st.Ref)
		}
		states[i] = st
	}
	if len(refs) == 0 {
		return states, nil
	}
	var vms []mo.VirtualMachine
	if err := pc.Retrieve(ctx, refs, []string{"runtime.powerState", "runtime.host", "config.hardware.device"}, &vms); err != nil {
		return nil, fmt.Errorf("read VMs: %w", inWords(err))
	}
	byRef := make(map[types.ManagedObjectReference]mo.VirtualMachine, len(vms))
	for _, vm := range vms {
		byRef[vm.Self] = vm
	}
	for i := range states {
		st := &states[i]
		if st.Missing {
			continue
		}
		vm, ok := byRef[st.Ref]
		if !ok {
			st.Missing, st.Problem = true, fmt.Sprintf("VM %s vanished while it was read", st.VM)
			continue
		}
		st.PowerState = string(vm.Runtime.PowerState)
		if vm.Runtime.Host != nil {
			st.HostRef = *vm.Runtime.Host
		}
		if vm.Config != nil {
			st.NICs, st.Other = trunkNICs(vm.Config.Hardware.Device, att)
		}
	}
	return states, nil
}

func (c *Client) vmsByName(ctx context.Context, folder types.ManagedObjectReference) (map[string][]types.ManagedObjectReference, error) {
	v, err := view.NewManager(c.vc).CreateContainerView(ctx, folder, []string{"VirtualMachine"}, true)
	if err != nil {
		return nil, fmt.Errorf("list VMs: %w", inWords(err))
	}
	defer func() { _ = v.Destroy(context.WithoutCancel(ctx)) }()
	var all []mo.VirtualMachine
	if err := v.Retrieve(ctx, []string{"VirtualMachine"}, []string{"name"}, &all); err != nil {
		return nil, fmt.Errorf("list VMs: %w", inWords(err))
	}
	m := make(map[string][]types.ManagedObjectReference, len(all))
	for _, vm := range all {
		n := unescape(vm.Name)
		m[n] = append(m[n], vm.Self)
	}
	return m, nil
}

// trunkNICs splits a VM's network adapters into those on the trunk (as
// att matches them; none for the zero attachment) and a count of the
// others.
func trunkNICs(devices []types.BaseVirtualDevice, att attachment) (nics []NIC, other int) {
	for _, d := range devices {
		card, ok := d.(types.BaseVirtualEthernetCard)
		if !ok {
			continue
		}
		ec := card.GetVirtualEthernetCard()
		if !att.matches(ec.Backing) {
			other++
			continue
		}
		n := NIC{Key: ec.Key, Type: nicType(d), MAC: strings.ToLower(ec.MacAddress)}
		if ec.DeviceInfo != nil {
			n.Label = ec.DeviceInfo.GetDescription().Label
		}
		if ec.Connectable != nil {
			n.Connected = ec.Connectable.Connected
			n.StartConnected = ec.Connectable.StartConnected
		}
		nics = append(nics, n)
	}
	return nics, other
}

func nicType(d types.BaseVirtualDevice) string {
	switch d.(type) {
	case *types.VirtualVmxnet3:
		return "vmxnet3"
	case *types.VirtualVmxnet3Vrdma:
		return "vmxnet3vrdma"
	case *types.VirtualVmxnet2:
		return "vmxnet2"
	case *types.VirtualVmxnet:
		return "vmxnet"
	case *types.VirtualE1000e:
		return "e1000e"
	case *types.VirtualE1000:
		return "e1000"
	case *types.VirtualPCNet32:
		return "pcnet32"
	case *types.VirtualSriovEthernetCard:
		return "sriov"
	default:
		return fmt.Sprintf("%T", d)
	}
}

// unescape undoes vSphere's escaping of '%', '/' and '\' in entity names.
func unescape(name string) string {
	if !strings.Contains(name, "%") {
		return name
	}
	if u, err := url.PathUnescape(name); err == nil {
		return u
	}
	return name
}
