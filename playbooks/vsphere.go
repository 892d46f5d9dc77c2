package playbooks

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/kasmfleet/push/remote/proto"
)

// VSphere converges (apply) or observes (plan, check) one trunk's objects
// in vCenter. remote/vsphere does the work; cmd/push wires it in.
type VSphere interface {
	Trunk(ctx context.Context, mode Mode, spec proto.VSphereSpec) TrunkOutcome
}

// TrunkOutcome is what the vSphere step did or found for one trunk.
type TrunkOutcome struct {
	Spec    proto.VSphereSpec
	Changes []VSphereChange   // taken (apply) or pending (plan, check)
	MACs    map[string]string // agent → its VM's trunk NIC MAC, as vSphere reports it
	Changed bool
	Err     error
}

// VSphereChange is one difference in vCenter and what apply does (or
// did) about it, as the drift report needs it.
type VSphereChange struct {
	Component, Object, Expected, Actual, Action string
}

// vsphereStep converges or observes every trunk with agents in the run,
// before any host is touched. In apply and plan a failure stops the run;
// check reports it as unknown and goes on.
type vsphereStep struct{}

func (vsphereStep) Name() string { return StepVSphere }

func (vsphereStep) ShouldRun(p Playbook) bool { return len(limitVMs(p.Trunks, p.Hosts)) > 0 }

func (vsphereStep) Run(ctx context.Context, p Playbook, o *Outcome) error {
	var errs []error
	for _, spec := range limitVMs(p.Trunks, p.Hosts) {
		t := p.VCenter.Trunk(ctx, p.Mode, spec)
		o.VSphere = append(o.VSphere, t)
		errs = append(errs, t.Err)
	}
	if p.Mode == ModeCheck {
		return nil
	}
	return errors.Join(errs...)
}

// limitVMs keeps, in each vSphere spec, only the VMs of hosts; a spec
// left with no VM is dropped when the run is limited to some agents.
func limitVMs(specs []proto.VSphereSpec, hosts []Host) []proto.VSphereSpec {
	keep := map[string]bool{}
	for _, h := range hosts {
		keep[h.Name] = true
	}
	var out []proto.VSphereSpec
	for _, s := range specs {
		all := len(s.VMs)
		s.VMs = slices.DeleteFunc(slices.Clone(s.VMs), func(vm proto.TrunkVM) bool { return !keep[vm.Agent] })
		if len(s.VMs) > 0 || all == 0 {
			out = append(out, s)
		}
	}
	return out
}

// trunkMACStep gives agents with trunk_nic = "auto" the MAC vSphere
// reports; apply stops when one has none.
type trunkMACStep struct{}

func (trunkMACStep) Name() string { return StepTrunkMACs }

func (trunkMACStep) Run(_ context.Context, p Playbook, o *Outcome) error {
	macs := map[string]string{}
	for _, t := range o.VSphere {
		for agent, mac := range t.MACs {
			macs[agent] = mac
		}
	}
	var missing []string
	o.Hosts = make([]Host, 0, len(p.Hosts))
	for _, h := range p.Hosts {
		if h.TrunkAuto && macs[h.Name] == "" {
			missing = append(missing, h.Name)
		}
		o.Hosts = append(o.Hosts, WithTrunkMAC(h, macs[h.Name]))
	}
	if len(missing) > 0 && p.Mode == ModeApply {
		return fmt.Errorf("trunk_nic is \"auto\" but vSphere reports no trunk NIC for %s", strings.Join(missing, ", "))
	}
	return nil
}

// Drift is the trunk's outcome as a drift report target.
func (t TrunkOutcome) Drift() TargetDrift {
	return VSphereDrift(t.Spec.Server+"/"+t.Spec.Trunk, t.Changes, t.Err)
}
