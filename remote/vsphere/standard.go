package vsphere

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/kasmfleet/push/remote/proto"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// vlanAll is the VLAN id of a standard port group that passes every VLAN
// tagged to the guest (virtual guest tagging). A standard port group
// cannot trunk a set of ranges: VLAN 4095 is the only trunk it has.
const vlanAll = 4095

// HostState is one ESXi host of a trunk on standard vSwitches.
type HostState struct {
	Name string `json:"name"`
	// Missing is set when no host, or more than one, answers to Name, or
	// when vCenter cannot reach it; Problem says which.
	Missing bool   `json:"missing,omitempty"`
	Problem string `json:"problem,omitempty"`
	// Switches are the host's standard vSwitches, by name.
	Switches []string `json:"switches,omitempty"`
	// PortGroup is the host's port group of the spec's name, on whichever
	// vSwitch it is; nil when the host has none.
	PortGroup *HostPortGroup `json:"portgroup,omitempty"`

	Ref           types.ManagedObjectReference `json:"-"`
	NetworkSystem types.ManagedObjectReference `json:"-"`
}

// HostPortGroup is a standard port group on one host.
type HostPortGroup struct {
	Name    string `json:"name"`
	VSwitch string `json:"vswitch"`
	VLANID  int    `json:"vlan_id"` // 0: none; 4095: all, tagged by the guest
	// MAC is the port group's effective security policy (macvlan).
	MAC MACPolicy `json:"mac"`
	// Spec is the port group as read, so that an update keeps its policy.
	Spec types.HostPortGroupSpec `json:"-"`
}

// HasSwitch reports whether the host has the standard vSwitch name.
func (h *HostState) HasSwitch(name string) bool {
	return h != nil && slices.Contains(h.Switches, name)
}

// IsTrunk reports whether the host's port group passes all VLANs on
// vSwitch sw, i.e. a NIC on it is a trunk NIC.
func (h *HostState) IsTrunk(sw string) bool {
	return h != nil && !h.Missing && h.PortGroup != nil && h.PortGroup.VSwitch == sw && h.PortGroup.VLANID == vlanAll
}

// host is the observed host called name, or nil.
func (o Observed) host(name string) *HostState {
	if name == "" {
		return nil
	}
	for i := range o.Hosts {
		if o.Hosts[i].Name == name {
			return &o.Hosts[i]
		}
	}
	return nil
}

// hostInfo is one ESXi host of the datacenter as listed.
type hostInfo struct {
	name, state   string
	ref, parent   types.ManagedObjectReference
	networkSystem types.ManagedObjectReference
}

// observeStandard reads what vCenter has for a trunk on standard
// vSwitches: the agents' VMs and the hosts they run on, and each host's
// vSwitches and port group of the spec's name. It changes nothing.
func (c *Client) observeStandard(ctx context.Context, spec proto.VSphereSpec) (Observed, error) {
	o := Observed{Server: c.server, Standard: true, Switch: Switch{Name: spec.Switch}}
	finder := find.NewFinder(c.vc, false)
	dc, err := c.datacenterOf(ctx, finder, spec)
	if err != nil {
		return o, err
	}
	finder.SetDatacenter(dc)
	o.Datacenter = dc.Name()
	folders, err := dc.Folders(ctx)
	if err != nil {
		return o, fmt.Errorf("datacenter %s folders: %w", o.Datacenter, inWords(err))
	}
	o.networkFolder = folders.NetworkFolder.Reference()
	o.Foreign, err = c.foreignNetwork(ctx, o.networkFolder, spec.PortGroup, true)
	if err != nil {
		return o, err
	}
	pc := property.DefaultCollector(c.vc)
	o.VMs, err = c.observeVMs(ctx, finder, pc, folders.VmFolder.Reference(), spec.VMs, standardAttachment(spec.PortGroup))
	if err != nil {
		return o, err
	}
	hosts, err := c.listHosts(ctx, folders.HostFolder.Reference())
	if err != nil {
		return o, err
	}
	for i := range o.VMs {
		v := &o.VMs[i]
		if i := slices.IndexFunc(hosts, func(h hostInfo) bool { return h.ref == v.HostRef }); i >= 0 {
			v.Host = hosts[i].name
		}
	}
	names := spec.Hosts
	if len(names) == 0 {
		names = defaultHosts(o.VMs, hosts)
	}
	o.Hosts, err = c.observeHosts(ctx, pc, names, hosts, spec.PortGroup, o.Datacenter)
	return o, err
}

// listHosts lists every ESXi host of the datacenter, with one call.
func (c *Client) listHosts(ctx context.Context, folder types.ManagedObjectReference) ([]hostInfo, error) {
	v, err := view.NewManager(c.vc).CreateContainerView(ctx, folder, []string{"HostSystem"}, true)
	if err != nil {
		return nil, fmt.Errorf("list ESXi hosts: %w", inWords(err))
	}
	defer func() { _ = v.Destroy(context.WithoutCancel(ctx)) }()
	var all []mo.HostSystem
	props := []string{"name", "parent", "runtime.connectionState", "configManager.networkSystem"}
	if err := v.Retrieve(ctx, []string{"HostSystem"}, props, &all); err != nil {
		return nil, fmt.Errorf("list ESXi hosts: %w", inWords(err))
	}
	out := make([]hostInfo, 0, len(all))
	for _, h := range all {
		hi := hostInfo{name: unescape(h.Name), ref: h.Self, state: string(h.Runtime.ConnectionState)}
		if h.Parent != nil {
			hi.parent = *h.Parent
		}
		if h.ConfigManager.NetworkSystem != nil {
			hi.networkSystem = *h.ConfigManager.NetworkSystem
		}
		out = append(out, hi)
	}
	return out, nil
}

// defaultHosts are every host of the clusters (or standalone hosts) that
// run the found VMs, sorted by name: vMotion, DRS and HA may move a VM to
// any of them, and it must find its port group there.
func defaultHosts(vms []VMState, hosts []hostInfo) []string {
	parents := map[types.ManagedObjectReference]bool{}
	for _, v := range vms {
		for _, h := range hosts {
			if !v.Missing && h.ref == v.HostRef {
				parents[h.parent] = true
			}
		}
	}
	var names []string
	for _, h := range hosts {
		if parents[h.parent] && !slices.Contains(names, h.name) {
			names = append(names, h.name)
		}
	}
	slices.Sort(names)
	return names
}

// hostHint suggests the host whose full name starts with name, as when
// the inventory gives a short name and vCenter knows the host by FQDN.
func hostHint(name string, hosts []hostInfo) string {
	var like []string
	for _, h := range hosts {
		if strings.HasPrefix(strings.ToLower(h.name), strings.ToLower(name)+".") || strings.EqualFold(h.name, name) {
			like = append(like, h.name)
		}
	}
	if len(like) != 1 {
		return ""
	}
	return fmt.Sprintf(" (did you mean %s?)", like[0])
}

// observeHosts finds each named host and reads its network information
// (vSwitches and port groups) in one call.
func (c *Client) observeHosts(ctx context.Context, pc *property.Collector, names []string, hosts []hostInfo, pgName, dc string) ([]HostState, error) {
	states := make([]HostState, len(names))
	var refs []types.ManagedObjectReference
	for i, name := range names {
		st := HostState{Name: name}
		var found []hostInfo
		for _, h := range hosts {
			if h.name == name {
				found = append(found, h)
			}
		}
		switch {
		case len(found) == 0:
			st.Missing, st.Problem = true, fmt.Sprintf("no ESXi host named %s in datacenter %s%s", name, dc, hostHint(name, hosts))
		case len(found) > 1:
			st.Missing, st.Problem = true, fmt.Sprintf("%d ESXi hosts are named %s in datacenter %s", len(found), name, dc)
		case found[0].state != "" && found[0].state != string(types.HostSystemConnectionStateConnected):
			st.Missing, st.Problem = true, fmt.Sprintf("ESXi host %s is %s in vCenter", name, found[0].state)
		case found[0].networkSystem.Value == "":
			st.Missing, st.Problem = true, fmt.Sprintf("ESXi host %s has no network system", name)
		default:
			st.Ref, st.NetworkSystem = found[0].ref, found[0].networkSystem
			refs = append(refs, st.NetworkSystem)
		}
		states[i] = st
	}
	if len(refs) == 0 {
		return states, nil
	}
	var systems []mo.HostNetworkSystem
	if err := pc.Retrieve(ctx, refs, []string{"networkInfo"}, &systems); err != nil {
		return nil, fmt.Errorf("read ESXi host networking: %w", inWords(err))
	}
	for i := range states {
		st := &states[i]
		if st.Missing {
			continue
		}
		j := slices.IndexFunc(systems, func(s mo.HostNetworkSystem) bool { return s.Self == st.NetworkSystem })
		if j < 0 || systems[j].NetworkInfo == nil {
			st.Missing, st.Problem = true, fmt.Sprintf("ESXi host %s reports no network information", st.Name)
			continue
		}
		info := systems[j].NetworkInfo
		for _, sw := range info.Vswitch {
			st.Switches = append(st.Switches, sw.Name)
		}
		for _, pg := range info.Portgroup {
			if pg.Spec.Name == pgName {
				st.PortGroup = &HostPortGroup{Name: pg.Spec.Name, VSwitch: pg.Spec.VswitchName, VLANID: int(pg.Spec.VlanId),
					MAC: hostMACPolicy(pg), Spec: pg.Spec}
				break
			}
		}
	}
	return states, nil
}

// diffStandard lists what differs for a trunk on standard vSwitches, in
// apply's order: each host's port group, then each VM in spec order.
func diffStandard(spec proto.VSphereSpec, o Observed) []Change {
	var out []Change
	if o.Foreign != "" {
		out = append(out, refused(KindConflict, "port group "+spec.PortGroup, proto.TrunkVM{},
			"standard port group "+spec.PortGroup+" on vSwitch "+spec.Switch, o.Foreign,
			"none: VMs would attach to the other network of that name; rename it, or name another port group in the trunk"))
	}
	ready := map[string]bool{} // hosts whose port group is, or will be, the trunk
	for _, h := range o.Hosts {
		ch, ok := hostChange(spec, h)
		if ch != nil && (o.Foreign == "" || ch.Outcome == proto.OutcomeRefused) {
			out = append(out, *ch) // with the name taken, nothing is created or changed
		}
		ready[h.Name] = ok && o.Foreign == ""
	}
	for _, w := range spec.VMs {
		v, missing := lookupVM(w, o)
		switch {
		case missing != nil:
			out = append(out, *missing)
		case o.Foreign != "":
		case o.host(v.Host) == nil:
			where := "an unknown host"
			if v.Host != "" {
				where = "host " + v.Host
			}
			out = append(out, refused(KindConflict, fmt.Sprintf("VM %s trunk NIC", w.VM), w,
				fmt.Sprintf("VM on a host with port group %s", spec.PortGroup),
				fmt.Sprintf("VM runs on %s, which is not in the trunk's hosts", where),
				fmt.Sprintf("none: add %s to the trunk's hosts, or move the VM to one of them", where)))
		case ready[v.Host]:
			out = append(out, nicChanges(spec, w, v)...)
		}
	}
	return out
}

// hostChange is the change one host needs (nil when none), and whether
// its port group is, or will be, a trunk the VMs can use.
func hostChange(spec proto.VSphereSpec, h HostState) (*Change, bool) {
	obj := fmt.Sprintf("port group %s on host %s", spec.PortGroup, h.Name)
	want := fmt.Sprintf("VLAN %d (all VLANs) on vSwitch %s", vlanAll, spec.Switch)
	ch := func(k Kind, object, expected, actual, action string, o proto.Outcome) *Change {
		return &Change{Kind: k, Object: object, Host: h.Name, Expected: expected, Actual: actual, Action: action, Outcome: o}
	}
	pg := h.PortGroup
	mac := wantMAC(spec, Switch{})
	switch {
	case h.Missing:
		return ch(KindMissingHost, "host "+h.Name, "ESXi host "+h.Name+", connected", h.Problem,
			"none: check the trunk's hosts (names as vCenter shows them) and the host's connection", proto.OutcomeRefused), false
	case pg != nil && pg.VSwitch != spec.Switch:
		return ch(KindConflict, obj, "on vSwitch "+spec.Switch, fmt.Sprintf("on vSwitch %s, %s", pg.VSwitch, hostVLANWords(pg.VLANID)),
			fmt.Sprintf("none: push does not move a port group between vSwitches; remove it from %s by hand (after moving its VMs), or name another port group", pg.VSwitch),
			proto.OutcomeRefused), false
	case !h.HasSwitch(spec.Switch):
		has := "no standard vSwitch"
		if len(h.Switches) > 0 {
			has = "only " + strings.Join(h.Switches, ", ")
		}
		return ch(KindMissingSwitch, fmt.Sprintf("vSwitch %s on host %s", spec.Switch, h.Name), "standard vSwitch "+spec.Switch,
			fmt.Sprintf("host %s has %s", h.Name, has),
			fmt.Sprintf("none: create vSwitch %s on host %s with the uplinks that carry the VLANs, or name the host's vSwitch in the trunk's switch", spec.Switch, h.Name),
			proto.OutcomeRefused), false
	case pg == nil:
		action := fmt.Sprintf("create port group %s on vSwitch %s of host %s: VLAN %d (all VLANs; a standard port group cannot trunk only %s)",
			spec.PortGroup, spec.Switch, h.Name, vlanAll, FormatRanges(NormalizeRanges(spec.VLANs)))
		if mac != macNone {
			want += "; " + mac.String()
			action += "; " + mac.String()
		}
		return ch(KindCreatePortGroup, obj, want, "missing", action, proto.OutcomePending), true
	}
	var exp, act, do []string
	if pg.VLANID != vlanAll {
		exp = append(exp, want)
		act = append(act, fmt.Sprintf("%s on vSwitch %s", hostVLANWords(pg.VLANID), pg.VSwitch))
		do = append(do, fmt.Sprintf("VLAN %d (all VLANs)", vlanAll))
	}
	if !mac.allows(pg.MAC) {
		exp = append(exp, mac.String())
		act = append(act, mac.describe(pg.MAC))
		do = append(do, mac.String())
	}
	if len(exp) == 0 {
		return nil, true
	}
	return ch(KindUpdatePortGroup, obj, strings.Join(exp, "; "), strings.Join(act, "; "),
		fmt.Sprintf("set port group %s on host %s to %s", spec.PortGroup, h.Name, strings.Join(do, "; ")),
		proto.OutcomePending), true
}

func hostVLANWords(id int) string {
	switch id {
	case 0:
		return "no VLAN"
	case vlanAll:
		return "VLAN 4095 (all VLANs)"
	}
	return fmt.Sprintf("VLAN %d", id)
}

// applyStandard creates or fixes each host's port group, then adds or
// connects the VMs' NICs on the hosts whose port group is a trunk.
func (c *Client) applyStandard(ctx context.Context, spec proto.VSphereSpec, obs Observed, changes []Change, em *emitter) []error {
	var errs []error
	ready := map[string]bool{}
	for _, h := range obs.Hosts {
		ready[h.Name] = h.IsTrunk(spec.Switch)
	}
	for i := range changes {
		ch := &changes[i]
		if ch.Host == "" || (ch.Kind != KindCreatePortGroup && ch.Kind != KindUpdatePortGroup) {
			continue
		}
		if err := c.applyHostPortGroup(ctx, spec, obs.host(ch.Host), ch, em); err != nil {
			errs = append(errs, err)
			continue
		}
		ready[ch.Host] = true
	}
	att := standardAttachment(spec.PortGroup)
	if ref, err := c.standardNetwork(ctx, obs.networkFolder, spec.PortGroup); err == nil {
		att.networkRef = ref
	}
	attach := func(v VMState) (attachment, string) {
		if !ready[v.Host] {
			return attachment{}, fmt.Sprintf("port group %s is not in place on host %s", spec.PortGroup, v.Host)
		}
		return att, ""
	}
	return append(errs, c.applyVMs(ctx, obs, attach, changes, em)...)
}

// applyHostPortGroup creates the port group on h, or sets its VLAN to
// 4095 keeping the rest of its settings.
func (c *Client) applyHostPortGroup(ctx context.Context, spec proto.VSphereSpec, h *HostState, ch *Change, em *emitter) error {
	em.emit(Event{Object: ch.Object, Message: ch.Action})
	ns := object.NewHostNetworkSystem(c.vc, h.NetworkSystem)
	var err error
	what := "create it"
	macvlan := wantMAC(spec, Switch{}) != macNone
	if ch.Kind == KindCreatePortGroup {
		s := types.HostPortGroupSpec{Name: spec.PortGroup, VlanId: vlanAll, VswitchName: spec.Switch}
		if macvlan {
			s.Policy.Security = hostSecurity()
		}
		err = ns.AddPortGroup(ctx, s)
	} else {
		what = "reconfigure it"
		s := h.PortGroup.Spec
		s.VlanId = vlanAll
		if macvlan && !macSecurity.allows(h.PortGroup.MAC) {
			s.Policy.Security = hostSecurity()
		}
		err = ns.UpdatePortGroup(ctx, spec.PortGroup, s)
	}
	if err != nil {
		err = fmt.Errorf("%s: %w: %s: %w", ch.Object, ErrTask, what, inWords(err))
		fail(ch, proto.OutcomeFailed, err)
		em.emit(Event{Object: ch.Object, Message: ch.Error, Outcome: ch.Outcome})
		return err
	}
	done(ch, em)
	return nil
}

// standardNetwork is the datacenter's network (standard port group) named
// name, for a NIC's backing; nil when there is none.
func (c *Client) standardNetwork(ctx context.Context, folder types.ManagedObjectReference, name string) (*types.ManagedObjectReference, error) {
	nets, err := c.networks(ctx, folder)
	if err != nil {
		return nil, err
	}
	for _, n := range nets {
		if n.Self.Type == "Network" && unescape(n.Name) == name {
			ref := n.Self
			return &ref, nil
		}
	}
	return nil, nil
}
