package plan

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/kasmfleet/push/remote/helper/docker"
	"github.com/kasmfleet/push/remote/helper/handsnat"
	"github.com/kasmfleet/push/remote/helper/hostnet"
	"github.com/kasmfleet/push/remote/helper/kmod"
	"github.com/kasmfleet/push/remote/helper/netcfg"
	"github.com/kasmfleet/push/remote/helper/snat"
	"github.com/kasmfleet/push/remote/helper/state"
	"github.com/kasmfleet/push/remote/proto"
)

// Step is one action and the actions it needs done first.
type Step struct {
	proto.Action
	// Needs are keys (Key) of earlier steps; when one of them was not
	// done this step is skipped.
	Needs []string
	// Network is the network to create (create and replace steps).
	Network *docker.Network
	// Addrs are addresses to add or remove.
	Addrs []netip.Prefix
	// Link is the link the step changes.
	Link string
	// Hand is the hand-made SNAT rule an adopt-snat step takes over.
	Hand *handsnat.Rule
	// Disconnect are the containers a replace or remove step disconnects
	// from the network first (ForceDisconnect).
	Disconnect []string
}

// Key identifies a step for Needs.
func Key(kind proto.ActionKind, target string) string { return string(kind) + " " + target }

// Key of this step.
func (s Step) Key() string { return Key(s.Kind, s.Target) }

// Module is the kernel module VLAN sub-interfaces need.
const Module = "8021q"

// SNATTarget is the target of every SNAT action: push's table.
const SNATTarget = "table ip " + snat.Table

// Plan returns the steps from obs to spec, in apply order: kernel module,
// trunk NIC, addresses, Docker networks, SNAT table, boot unit, state.
// Steps that cannot be taken safely come with Outcome refused (or failed
// when the host cannot do them), the others pending.
func Plan(spec proto.HostSpec, obs Observed, opts proto.Options) []Step {
	p := &planner{spec: spec, obs: obs, opts: opts}
	p.module()
	p.trunk()
	p.addresses()
	p.networks()
	p.snat()
	p.pruneAddresses()
	p.boot()
	return p.steps
}

type planner struct {
	spec  proto.HostSpec
	obs   Observed
	opts  proto.Options
	steps []Step
	// vlanNeeds are the module and trunk steps VLAN networks wait for.
	vlanNeeds []string
}

func (p *planner) add(s Step) {
	if s.Outcome == "" {
		s.Outcome = proto.OutcomePending
	}
	p.steps = append(p.steps, s)
}

func (p *planner) module() {
	if p.spec.Trunk == nil || len(p.spec.VLANs) == 0 {
		return
	}
	if !p.obs.ModuleLoaded {
		s := Step{Action: proto.Action{Kind: proto.ActLoadModule, Target: Module,
			Summary:  "load kernel module 8021q (VLAN sub-interfaces)",
			Expected: Module + " loaded", Actual: "not loaded"}}
		p.add(s)
		p.vlanNeeds = append(p.vlanNeeds, s.Key())
	}
	if !p.obs.ModulePersisted {
		p.add(Step{Action: proto.Action{Kind: proto.ActPersistModule, Target: kmod.PersistFile,
			Summary:  "load 8021q at boot: write " + kmod.PersistFile,
			Expected: Module + " loaded at boot", Actual: "in no modules-load.d file nor /etc/modules"}})
	}
}

func (p *planner) trunk() {
	if p.spec.Trunk == nil {
		return
	}
	nic := p.obs.Trunk.Name
	if !p.obs.TrunkPersisted {
		file := netcfg.File(p.obs.NetConfig)
		s := Step{Action: proto.Action{Kind: proto.ActPersistTrunk, Target: file, Summary: fmt.Sprintf(
			"keep trunk NIC %s up with no address at boot: write %s (%s)", nic, file, p.obs.NetConfig),
			Expected: fmt.Sprintf("%s %s at boot (%s)", nic, trunkWanted, p.obs.NetConfig),
			Actual:   orDefault(p.obs.TrunkPersistNote, "not configured at boot")}, Link: nic}
		if p.obs.NetConfig == netcfg.Unknown {
			s.Target = nic
			s.Outcome = proto.OutcomeFailed
			s.Error = "cannot tell how this host configures its network (ifupdown, systemd-networkd, netplan or NetworkManager)"
			s.Summary = "keep trunk NIC " + nic + " up with no address at boot"
			s.Expected = nic + " " + trunkWanted + " at boot"
			s.Actual = orDefault(p.obs.TrunkPersistNote, "cannot tell how this host configures its network")
		}
		p.add(s)
	}
	if len(p.obs.Trunk.Addrs) > 0 {
		s := Step{Action: proto.Action{Kind: proto.ActTrunkFlush, Target: nic, Summary: fmt.Sprintf(
			"remove address%s %s from trunk NIC %s", plural(len(p.obs.Trunk.Addrs)), joinPrefixes(p.obs.Trunk.Addrs), nic),
			Expected: "no address", Actual: joinPrefixes(p.obs.Trunk.Addrs)},
			Link: nic, Addrs: p.obs.Trunk.Addrs}
		p.add(s)
		p.vlanNeeds = append(p.vlanNeeds, s.Key())
	}
	if !p.obs.Trunk.Up {
		s := Step{Action: proto.Action{Kind: proto.ActTrunkUp, Target: nic, Summary: "bring trunk NIC " + nic + " up",
			Expected: trunkWanted, Actual: trunkDown(p.obs.Trunk.Addrs)}, Link: nic}
		p.add(s)
		p.vlanNeeds = append(p.vlanNeeds, s.Key())
	}
}

// addresses adds the SNAT source addresses the spec asks for.
func (p *planner) addresses() {
	for _, b := range p.spec.Bridges {
		if b.AddAddress == "" {
			continue
		}
		pfx := netip.MustParsePrefix(b.AddAddress)
		if _, ok := hostnet.OwnerOf(p.obs.Addresses, pfx.Addr()); ok {
			continue
		}
		s := Step{Action: proto.Action{Kind: proto.ActAddAddress, Target: b.AddAddress, Actual: Absent}, Addrs: []netip.Prefix{pfx}}
		link, err := hostnet.ConnectedLink(p.obs.Addresses, pfx)
		if err != nil {
			s.Summary = fmt.Sprintf("add address %s (SNAT source of %s)", pfx, b.Name)
			s.Outcome, s.Error = proto.OutcomeFailed, err.Error()
			s.Expected = fmt.Sprintf("%s on the interface connected to %s", pfx, pfx.Masked())
		} else {
			s.Link = link
			s.Summary = fmt.Sprintf("add address %s to %s (SNAT source of %s, secondary)", pfx, link, b.Name)
			s.Expected = fmt.Sprintf("%s on %s", pfx, link)
		}
		p.add(s)
	}
}

// pruneAddresses removes addresses push added for an earlier spec, once
// the SNAT rules using them are gone.
func (p *planner) pruneAddresses() {
	if !p.opts.Prune || p.obs.Applied == nil {
		return
	}
	want := map[netip.Addr]bool{}
	for _, b := range p.spec.Bridges {
		if pfx, err := netip.ParsePrefix(b.AddAddress); err == nil {
			want[pfx.Addr()] = true
		}
	}
	for _, b := range p.obs.Applied.Bridges {
		pfx, err := netip.ParsePrefix(b.AddAddress)
		if err != nil || want[pfx.Addr()] {
			continue
		}
		link, ok := hostnet.OwnerOf(p.obs.Addresses, pfx.Addr())
		if !ok || pfx.Addr() == p.obs.SessionAddr {
			continue // gone already, or it carries the SSH session
		}
		p.add(Step{Action: proto.Action{Kind: proto.ActRemoveAddress, Target: b.AddAddress, Summary: fmt.Sprintf(
			"remove address %s from %s (push added it for %s, no longer in the spec)", pfx, link, b.Name),
			Expected: Absent, Actual: fmt.Sprintf("%s on %s", pfx.Addr(), link), Extra: true},
			Link: link, Addrs: []netip.Prefix{pfx}})
	}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "es"
}

func joinPrefixes(ps []netip.Prefix) string {
	s := make([]string, len(ps))
	for i, x := range ps {
		s[i] = x.String()
	}
	return strings.Join(s, ", ")
}

func (p *planner) boot() {
	if !p.obs.UnitInstalled || !p.obs.LinkCurrent {
		p.add(Step{Action: proto.Action{Kind: proto.ActInstallUnit, Target: state.UnitName, Summary: fmt.Sprintf(
			"install and enable %s (runs %s restore after docker.service at boot)", state.UnitName, state.Link),
			Expected: "installed and enabled, runs this helper", Actual: unitState(p.obs.UnitInstalled, p.obs.LinkCurrent)}})
	}
	if !p.obs.AppliedCurrent {
		actual := "another spec recorded"
		if p.obs.Applied == nil {
			actual = "no spec recorded"
		}
		p.add(Step{Action: proto.Action{Kind: proto.ActWriteState, Target: state.Applied,
			Summary:  "record this spec in " + state.Applied + " for restore at boot",
			Expected: "this spec recorded", Actual: actual}})
	}
}
