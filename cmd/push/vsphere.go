package main

import (
	"context"
	"fmt"

	"github.com/kasmfleet/push/inventory"
	"github.com/kasmfleet/push/playbooks"
	"github.com/kasmfleet/push/remote/proto"
	"github.com/kasmfleet/push/remote/vsphere"
)

// vcenter is the playbooks' way to vCenter: remote/vsphere, with the
// inventory's vsphere blocks and GOVC_*. It shows progress on stderr and,
// in apply and plan, each trunk's changes on stdout.
type vcenter struct {
	io  stdio
	inv *inventory.Inventory
}

// Trunk converges (apply) or observes (plan, check) one trunk's objects.
func (v vcenter) Trunk(ctx context.Context, mode playbooks.Mode, spec proto.VSphereSpec) playbooks.TrunkOutcome {
	o := playbooks.TrunkOutcome{Spec: spec}
	cfg := vsphereConfig(v.io, v.inv.VSphere(spec.Server))
	if cfg.Insecure {
		fmt.Fprintf(v.io.err, "push: warning: vsphere %q: TLS certificate NOT verified (insecure)\n", spec.Server)
	}
	c, err := vsphere.Connect(ctx, cfg)
	if err != nil {
		o.Err = fmt.Errorf("vsphere %s: %w", spec.Server, err)
		return o
	}
	defer c.Close(context.WithoutCancel(ctx))
	if mode == playbooks.ModeApply {
		rep, err := c.Apply(ctx, spec, func(e vsphere.Event) {
			if line := vsphereEventLine(spec.Server, e); line != "" {
				fmt.Fprintln(v.io.err, line)
			}
		})
		v.show(mode, spec, rep.Changes, err)
		o.Changes, o.MACs, o.Changed, o.Err = changes(rep.Changes), macs(rep.NICs), rep.Changed(), err
		return o
	}
	obs, err := c.Observe(ctx, spec)
	if err != nil {
		o.Err = err
		return o
	}
	cs := vsphere.Diff(spec, obs)
	v.show(mode, spec, cs, nil)
	o.Changes, o.MACs, o.Changed = changes(cs), macs(obs.AgentNICs()), len(cs) > 0
	return o
}

// show writes a trunk's changes for a person, in apply and plan. A trunk
// that failed before any change shows nothing here: it is not "in sync",
// and its error is told once the step ends.
func (v vcenter) show(mode playbooks.Mode, spec proto.VSphereSpec, cs []vsphere.Change, err error) {
	if mode != playbooks.ModeCheck && (len(cs) > 0 || err == nil) {
		fmt.Fprintf(v.io.out, "vSphere %s, ", spec.Server)
		vsphere.WriteChanges(v.io.out, spec.Trunk, cs)
	}
}

// macs maps agents to the trunk MAC address vSphere reports.
func macs(nics []vsphere.AgentNIC) map[string]string {
	m := map[string]string{}
	for _, n := range nics {
		m[n.Agent] = n.MAC
	}
	return m
}

// changes are vSphere's changes as the drift report reads them.
func changes(cs []vsphere.Change) []playbooks.VSphereChange {
	var out []playbooks.VSphereChange
	for _, c := range cs {
		comp := "VM NIC"
		if c.Kind == vsphere.KindCreatePortGroup || c.Kind == vsphere.KindUpdatePortGroup || c.Agent == "" {
			comp = "port group"
		}
		out = append(out, playbooks.VSphereChange{Component: comp, Object: c.Object, Expected: c.Expected,
			Actual: c.Actual, Action: c.Action})
	}
	return out
}

// vsphereConfig merges the inventory's vsphere block with GOVC_*.
func vsphereConfig(io stdio, vc *inventory.VSphere) vsphere.Config {
	cfg := vsphere.Config{}
	if vc != nil {
		cfg = vsphere.Config{URL: vc.URL, Username: vc.Username, Password: vc.Password.Reveal(),
			Datacenter: vc.Datacenter, Insecure: vc.Insecure, Thumbprint: vc.Thumbprint, CAFile: vc.CAFile}
	}
	return vsphere.ConfigFromEnv(cfg, io.getenv)
}

// vsphereEventLine is one progress line for e: the action as it starts
// and its outcome as it ends; a task's intermediate progress is left out
// ("" when the event gets no line).
func vsphereEventLine(server string, e vsphere.Event) string {
	prefix := "vsphere " + server + ": " + e.Object + ": "
	switch {
	case e.Outcome == proto.OutcomeDone:
		return prefix + "done"
	case e.Outcome != "":
		return prefix + string(e.Outcome) + ": " + e.Message
	case e.Percent == 0:
		return prefix + e.Message
	}
	return ""
}
