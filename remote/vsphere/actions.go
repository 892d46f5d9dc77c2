package vsphere

import (
	"context"
	"fmt"

	"github.com/kasmfleet/push/remote/proto"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// applyPortGroup creates or reconfigures the trunk port group, per ch.
func (c *Client) applyPortGroup(ctx context.Context, spec proto.VSphereSpec, obs Observed, ch *Change, em *emitter) error {
	want := wantSettings(spec, obs.Switch)
	setting := &types.VMwareDVSPortSetting{
		Vlan: &types.VmwareDistributedVirtualSwitchTrunkVlanSpec{VlanId: numericRanges(want.ranges)},
	}
	var cur MACPolicy
	if obs.PortGroup != nil {
		cur = obs.PortGroup.MAC
	}
	// Sent with every create and reconfigure of a macvlan trunk, also
	// when only the VLANs drifted: vcsim replaces the whole setting.
	setMAC(setting, want.mac, cur)
	cfg := types.DVPortgroupConfigSpec{
		Name:              spec.PortGroup,
		Type:              want.binding,
		AutoExpand:        types.NewBool(want.autoExpand),
		DefaultPortConfig: setting,
	}
	var (
		task *object.Task
		err  error
		what string
	)
	em.emit(Event{Object: ch.Object, Message: ch.Action})
	if ch.Kind == KindCreatePortGroup {
		what = "create it"
		cfg.NumPorts = int32(want.numPorts)
		if want.autoExpand {
			cfg.NumPorts = elasticDefault
		}
		cfg.Description = fmt.Sprintf("Managed by push: trunk %s", spec.Trunk)
		dvs := object.NewDistributedVirtualSwitch(c.vc, obs.Switch.Ref)
		task, err = dvs.AddPortgroup(ctx, []types.DVPortgroupConfigSpec{cfg})
	} else {
		what = "reconfigure it"
		pg := obs.PortGroup
		cfg.ConfigVersion = pg.ConfigVersion
		cfg.NumPorts = int32(pg.NumPorts) // elastic: keep its current size
		if !want.autoExpand {
			cfg.NumPorts = int32(want.numPorts)
		}
		task, err = object.NewDistributedVirtualPortgroup(c.vc, pg.Ref).Reconfigure(ctx, cfg)
	}
	if err == nil {
		err = wait(ctx, task, ch.Object, what, em)
	} else {
		err = fmt.Errorf("%s: %w: %s: %w", ch.Object, ErrTask, what, inWords(err))
	}
	if err != nil {
		fail(ch, proto.OutcomeFailed, err)
		em.emit(Event{Object: ch.Object, Message: ch.Error, Outcome: ch.Outcome})
		return err
	}
	done(ch, em)
	return nil
}

func numericRanges(rs []proto.Range) []types.NumericRange {
	out := make([]types.NumericRange, len(rs))
	for i, r := range rs {
		out[i] = types.NumericRange{Start: int32(r.Start), End: int32(r.End)}
	}
	return out
}

// attachment is what backs a trunk NIC: a distributed port group (by
// key) or a standard port group (by name). The zero value matches nothing.
type attachment struct {
	switchName, switchUUID, portgroupKey string                        // distributed
	network                              string                        // standard: the port group's name
	networkRef                           *types.ManagedObjectReference // standard, when known
}

func distributedAttachment(sw Switch, pg *PortGroup) attachment {
	if pg == nil {
		return attachment{}
	}
	return attachment{switchName: sw.Name, switchUUID: sw.UUID, portgroupKey: pg.Key}
}

func standardAttachment(name string) attachment { return attachment{network: name} }

// matches reports whether a NIC with backing b is on the trunk.
func (a attachment) matches(b types.BaseVirtualDeviceBackingInfo) bool {
	switch b := b.(type) {
	case *types.VirtualEthernetCardDistributedVirtualPortBackingInfo:
		return a.portgroupKey != "" && b.Port.PortgroupKey == a.portgroupKey
	case *types.VirtualEthernetCardNetworkBackingInfo:
		return a.network != "" && b.DeviceName == a.network
	}
	return false
}

// backing is a new trunk NIC's backing.
func (a attachment) backing() types.BaseVirtualDeviceBackingInfo {
	if a.portgroupKey != "" {
		return &types.VirtualEthernetCardDistributedVirtualPortBackingInfo{
			Port: types.DistributedVirtualSwitchPortConnection{SwitchUuid: a.switchUUID, PortgroupKey: a.portgroupKey},
		}
	}
	b := &types.VirtualEthernetCardNetworkBackingInfo{Network: a.networkRef}
	b.DeviceName = a.network
	return b
}

// applyNIC adds the trunk NIC to a VM or connects it, per ch. It reads the
// VM's devices again first, so that a NIC added meanwhile (by another run
// or a person) is not duplicated.
func (c *Client) applyNIC(ctx context.Context, att attachment, vm VMState, ch *Change, em *emitter) error {
	em.emit(Event{Object: ch.Object, Message: ch.Action})
	var m mo.VirtualMachine
	err := property.DefaultCollector(c.vc).RetrieveOne(ctx, vm.Ref, []string{"runtime.powerState", "config.hardware.device"}, &m)
	if err != nil {
		err = fmt.Errorf("%s: read VM %s: %w", ch.Object, vm.VM, inWords(err))
		fail(ch, proto.OutcomeFailed, err)
		return err
	}
	on := m.Runtime.PowerState == types.VirtualMachinePowerStatePoweredOn
	var devices []types.BaseVirtualDevice
	if m.Config != nil {
		devices = m.Config.Hardware.Device
	}
	var dev types.BaseVirtualDevice
	var op types.VirtualDeviceConfigSpecOperation
	switch existing := trunkCard(devices, att); {
	case ch.Kind == KindAddNIC && existing != nil:
		ch.Action = "none: a NIC on the port group appeared since it was observed"
		ch.Outcome = proto.OutcomeSkipped
		em.emit(Event{Object: ch.Object, Message: ch.Action, Outcome: ch.Outcome})
		return nil
	case ch.Kind == KindAddNIC:
		op, dev = types.VirtualDeviceConfigSpecOperationAdd, newTrunkCard(att, on)
	case existing == nil:
		err = fmt.Errorf("%s: %w: the NIC left the port group since it was observed", ch.Object, ErrConflict)
		fail(ch, proto.OutcomeFailed, err)
		return err
	default:
		ec := existing.GetVirtualEthernetCard()
		if ec.Connectable == nil {
			ec.Connectable = &types.VirtualDeviceConnectInfo{}
		}
		ec.Connectable.StartConnected = true
		ec.Connectable.Connected = on
		op, dev = types.VirtualDeviceConfigSpecOperationEdit, existing.(types.BaseVirtualDevice)
	}
	spec := types.VirtualMachineConfigSpec{DeviceChange: []types.BaseVirtualDeviceConfigSpec{
		&types.VirtualDeviceConfigSpec{Operation: op, Device: dev},
	}}
	task, err := object.NewVirtualMachine(c.vc, vm.Ref).Reconfigure(ctx, spec)
	if err == nil {
		err = wait(ctx, task, ch.Object, "reconfigure VM "+vm.VM, em)
		var ia *types.InvalidArgument
		if f := faultOf(err); f != nil && asFault(f, &ia) && ia.InvalidProperty == "spec.deviceChange.device.port.switchUuid" {
			err = fmt.Errorf("%w (is the VM's host a member of switch %s?)", err, att.switchName)
		}
	} else {
		err = fmt.Errorf("%s: %w: reconfigure VM %s: %w", ch.Object, ErrTask, vm.VM, inWords(err))
	}
	if err != nil {
		fail(ch, proto.OutcomeFailed, err)
		em.emit(Event{Object: ch.Object, Message: ch.Error, Outcome: ch.Outcome})
		return err
	}
	done(ch, em)
	return nil
}

// trunkCard is the first network adapter on the trunk, or nil.
func trunkCard(devices []types.BaseVirtualDevice, att attachment) types.BaseVirtualEthernetCard {
	for _, d := range devices {
		card, ok := d.(types.BaseVirtualEthernetCard)
		if ok && att.matches(card.GetVirtualEthernetCard().Backing) {
			return card
		}
	}
	return nil
}

// newTrunkCard is a vmxnet3 adapter on the trunk, connected at power-on,
// and now when the VM runs (vSphere cannot connect it otherwise).
func newTrunkCard(att attachment, poweredOn bool) *types.VirtualVmxnet3 {
	card := &types.VirtualVmxnet3{}
	ec := card.GetVirtualEthernetCard()
	ec.Key = -1
	ec.AddressType = string(types.VirtualEthernetCardMacTypeGenerated)
	ec.Backing = att.backing()
	ec.Connectable = &types.VirtualDeviceConnectInfo{StartConnected: true, Connected: poweredOn, AllowGuestControl: true}
	return card
}
