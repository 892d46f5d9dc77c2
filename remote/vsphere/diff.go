package vsphere

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kasmfleet/push/remote/proto"
	"github.com/vmware/govmomi/vim25/types"
)

// Kind names what a Change is about.
type Kind string

const (
	KindCreatePortGroup Kind = "create-portgroup"
	KindUpdatePortGroup Kind = "update-portgroup"
	KindAddNIC          Kind = "add-nic"
	KindConnectNIC      Kind = "connect-nic"
	// KindConflict is something push will not rewrite: a same-named
	// network that is not a trunk, a second NIC on the trunk, a NIC of
	// another type. Its Outcome is always refused.
	KindConflict Kind = "conflict"
	// KindMissingVM is an agent whose VM cannot be found (refused).
	KindMissingVM Kind = "missing-vm"
	// KindMissingHost is an ESXi host of a standard vSwitch trunk that
	// cannot be found or is not connected to vCenter (refused).
	KindMissingHost Kind = "missing-host"
	// KindMissingSwitch is a host without the trunk's standard vSwitch
	// (refused: push does not create vSwitches or choose their uplinks).
	KindMissingSwitch Kind = "missing-switch"
)

// Change is one difference between the spec and vCenter, and what apply
// does (or did) about it.
type Change struct {
	Kind     Kind   `json:"kind"`
	Object   string `json:"object"` // "port group kasm-trunk", "VM kasm-agent-1 trunk NIC"
	Agent    string `json:"agent,omitempty"`
	VM       string `json:"vm,omitempty"`   // as the spec names it
	Host     string `json:"host,omitempty"` // ESXi host, for a standard vSwitch trunk
	Expected string `json:"expected"`
	Actual   string `json:"actual"`
	// Action is a sentence: what apply does, or did.
	Action  string        `json:"action"`
	Outcome proto.Outcome `json:"outcome"`
	// Error says why the change failed, was refused or skipped.
	Error string `json:"error,omitempty"`
	// Err is the same as a value, for errors.Is; nil unless failed.
	Err error `json:"-"`
}

// Desired port group settings derived from a spec.
const (
	bindingStatic  = string(types.DistributedVirtualPortgroupPortgroupTypeEarlyBinding)
	elasticDefault = 8 // vSphere's initial size of an elastic port group
)

// Diff lists what differs between spec and o, in apply's order: the port
// group first (on standard vSwitches, each host's), then each VM in spec
// order. It is pure. An empty result means vCenter is in sync. Changes
// apply can make are pending; the others are refused.
func Diff(spec proto.VSphereSpec, o Observed) []Change {
	if spec.IsStandard() {
		return diffStandard(spec, o)
	}
	var out []Change
	usable := true // the port group is, or will be, the trunk
	pgObj := "port group " + spec.PortGroup
	want := wantSettings(spec, o.Switch)
	switch pg := o.PortGroup; {
	case pg == nil && o.Foreign != "":
		usable = false
		out = append(out, refused(KindConflict, pgObj, proto.TrunkVM{}, "VLAN trunk on switch "+spec.Switch, o.Foreign,
			fmt.Sprintf("none: the name is taken outside switch %s; rename that network, or name another port group in the trunk", spec.Switch)))
	case pg == nil:
		out = append(out, Change{
			Kind: KindCreatePortGroup, Object: pgObj,
			Expected: want.String(), Actual: "missing",
			Action:  fmt.Sprintf("create port group %s on switch %s: %s", spec.PortGroup, spec.Switch, want),
			Outcome: proto.OutcomePending,
		})
	case !pg.IsTrunk():
		usable = false
		out = append(out, refused(KindConflict, pgObj, proto.TrunkVM{}, "VLAN trunk "+FormatRanges(want.ranges), describeVLAN(pg),
			"none: push does not rewrite a port group that is not a trunk; change it by hand or name another port group"))
	default:
		if exp, act := want.differences(pg); len(exp) > 0 {
			out = append(out, Change{
				Kind: KindUpdatePortGroup, Object: pgObj,
				Expected: strings.Join(exp, "; "), Actual: strings.Join(act, "; "),
				Action:  fmt.Sprintf("reconfigure port group %s: %s", spec.PortGroup, strings.Join(exp, "; ")),
				Outcome: proto.OutcomePending,
			})
		}
	}
	for _, w := range spec.VMs {
		out = append(out, vmChanges(spec, w, o, usable)...)
	}
	return out
}

func refused(k Kind, object string, w proto.TrunkVM, expected, actual, action string) Change {
	return Change{Kind: k, Object: object, Agent: w.Agent, VM: w.VM, Expected: expected, Actual: actual,
		Action: action, Outcome: proto.OutcomeRefused}
}

func vmChanges(spec proto.VSphereSpec, w proto.TrunkVM, o Observed, usable bool) []Change {
	v, missing := lookupVM(w, o)
	if missing != nil {
		return []Change{*missing}
	}
	if !usable {
		return nil // nothing to attach to until the port group conflict is resolved
	}
	return nicChanges(spec, w, v)
}

// lookupVM is the observed state of w's VM, or a refused change saying
// why there is none.
func lookupVM(w proto.TrunkVM, o Observed) (VMState, *Change) {
	i := slices.IndexFunc(o.VMs, func(v VMState) bool { return v.Agent == w.Agent && v.VM == w.VM })
	if i < 0 {
		ch := refused(KindMissingVM, "VM "+w.VM, w, "VM "+w.VM, "not observed", "none: the VM was not observed")
		return VMState{}, &ch
	}
	v := o.VMs[i]
	if v.Missing {
		ch := refused(KindMissingVM, "VM "+w.VM, w, "VM "+w.VM+" exists", v.Problem,
			"none: check the agent's vm (a name or an inventory path)")
		return v, &ch
	}
	return v, nil
}

// nicChanges is what the VM's trunk NIC needs: added, connected; a second
// NIC on the trunk, or one that is not vmxnet3, is refused.
func nicChanges(spec proto.VSphereSpec, w proto.TrunkVM, v VMState) []Change {
	obj := fmt.Sprintf("VM %s trunk NIC", w.VM)
	if len(v.NICs) == 0 {
		return []Change{{
			Kind: KindAddNIC, Object: obj, Agent: w.Agent, VM: w.VM,
			Expected: wantConn(v), Actual: "missing",
			Action:  fmt.Sprintf("add a vmxnet3 NIC on port group %s to VM %s, %s", spec.PortGroup, w.VM, wantConn(v)),
			Outcome: proto.OutcomePending,
		}}
	}
	var out []Change
	first := v.NICs[0]
	if len(v.NICs) > 1 {
		macs := make([]string, len(v.NICs))
		for i, n := range v.NICs {
			macs[i] = n.MAC
		}
		out = append(out, refused(KindConflict, obj, w, "one NIC on port group "+spec.PortGroup,
			fmt.Sprintf("%d NICs (%s)", len(v.NICs), strings.Join(macs, ", ")),
			fmt.Sprintf("none: push uses the first (%s); remove the others by hand", first.MAC)))
	}
	if first.Type != "vmxnet3" {
		out = append(out, refused(KindConflict, obj, w, "vmxnet3",
			fmt.Sprintf("%s (%s)", first.Type, first.MAC),
			"none: replacing the NIC would change its MAC address; replace it by hand"))
	}
	if !connOK(first, v) {
		out = append(out, Change{
			Kind: KindConnectNIC, Object: obj, Agent: w.Agent, VM: w.VM,
			Expected: wantConn(v), Actual: describeConn(first, v),
			Action:  connectAction(first, v),
			Outcome: proto.OutcomePending,
		})
	}
	return out
}

// connOK: connected at power-on always; connected now only when the VM
// runs, since vSphere cannot connect a NIC of a VM that is off.
func connOK(n NIC, v VMState) bool {
	return n.StartConnected && (n.Connected || !v.PoweredOn())
}

func wantConn(v VMState) string {
	if v.PoweredOn() {
		return "connected now and at power-on"
	}
	return fmt.Sprintf("connected at power-on (the VM is %s)", powerWords(v.PowerState))
}

func connectAction(n NIC, v VMState) string {
	if v.PoweredOn() {
		return fmt.Sprintf("connect %s (%s) of VM %s now and at power-on", nicName(n), n.MAC, v.VM)
	}
	return fmt.Sprintf("set %s (%s) of VM %s to connect at power-on (the VM is %s)", nicName(n), n.MAC, v.VM, powerWords(v.PowerState))
}

func describeConn(n NIC, v VMState) string {
	now := "disconnected now"
	if n.Connected {
		now = "connected now"
	}
	boot := "not connected at power-on"
	if n.StartConnected {
		boot = "connected at power-on"
	}
	if !v.PoweredOn() {
		return boot
	}
	return now + ", " + boot
}

func powerWords(s string) string {
	switch s {
	case string(types.VirtualMachinePowerStatePoweredOff):
		return "powered off"
	case string(types.VirtualMachinePowerStateSuspended):
		return "suspended"
	case "":
		return "in an unknown power state"
	}
	return s
}

func nicName(n NIC) string {
	if n.Label != "" {
		return n.Label
	}
	return fmt.Sprintf("NIC %d", n.Key)
}

func describeVLAN(pg *PortGroup) string {
	switch pg.VLANMode {
	case VLANID:
		if pg.VLANID == 0 {
			return "no VLAN"
		}
		return fmt.Sprintf("VLAN %d", pg.VLANID)
	case VLANPrivate:
		return fmt.Sprintf("private VLAN %d", pg.VLANID)
	case VLANTrunk:
		return "VLAN trunk " + FormatRanges(pg.Ranges)
	}
	return "a VLAN setting push does not know"
}

// settings are the port group attributes push manages.
type settings struct {
	ranges     []proto.Range
	binding    string
	numPorts   int // 0 with autoExpand: any
	autoExpand bool
	mac        macNeed
}

func wantSettings(spec proto.VSphereSpec, sw Switch) settings {
	s := settings{ranges: NormalizeRanges(spec.VLANs), binding: bindingStatic, mac: wantMAC(spec, sw)}
	if spec.Ports > 0 {
		s.numPorts = spec.Ports
	} else {
		s.autoExpand = true
	}
	return s
}

func (s settings) String() string {
	words := fmt.Sprintf("VLAN trunk %s; %s; %s", FormatRanges(s.ranges), bindingWords(s.binding), portWords(s.numPorts, s.autoExpand))
	if s.mac != macNone {
		words += "; " + s.mac.String()
	}
	return words
}

// differences lists each attribute of pg that differs from s, as the
// wanted and the actual value.
func (s settings) differences(pg *PortGroup) (want, got []string) {
	if !slices.Equal(s.ranges, pg.Ranges) {
		want = append(want, "VLAN trunk "+FormatRanges(s.ranges))
		got = append(got, "VLAN trunk "+FormatRanges(pg.Ranges))
	}
	if pg.Binding != s.binding {
		want = append(want, bindingWords(s.binding))
		got = append(got, bindingWords(pg.Binding))
	}
	portsOK := pg.AutoExpand
	if !s.autoExpand {
		portsOK = !pg.AutoExpand && pg.NumPorts == s.numPorts
	}
	if !portsOK {
		want = append(want, portWords(s.numPorts, s.autoExpand))
		got = append(got, portWords(pg.NumPorts, pg.AutoExpand))
	}
	if !s.mac.allows(pg.MAC) {
		want = append(want, s.mac.String())
		got = append(got, s.mac.describe(pg.MAC))
	}
	return want, got
}

func bindingWords(b string) string {
	switch b {
	case string(types.DistributedVirtualPortgroupPortgroupTypeEarlyBinding):
		return "static binding"
	case string(types.DistributedVirtualPortgroupPortgroupTypeLateBinding):
		return "dynamic binding"
	case string(types.DistributedVirtualPortgroupPortgroupTypeEphemeral):
		return "ephemeral binding"
	case "":
		return "no binding set"
	}
	return b + " binding"
}

func portWords(n int, elastic bool) string {
	switch {
	case elastic && n == 0:
		return "elastic ports"
	case elastic:
		return fmt.Sprintf("elastic ports (%d now)", n)
	default:
		return fmt.Sprintf("%d ports, fixed", n)
	}
}
