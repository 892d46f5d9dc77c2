package main

import (
	"context"
	"fmt"

	"github.com/kasmfleet/push/inventory"
	"github.com/kasmfleet/push/playbooks"
	"github.com/kasmfleet/push/remote/proto"
	"github.com/kasmfleet/push/remote/vsphere"
)

// vsphereOutcome is what one trunk's vSphere step did or found.
type vsphereOutcome struct {
	spec    proto.VSphereSpec
	changes []vsphere.Change // taken (apply) or pending (plan, check)
	nics    []vsphere.AgentNIC
	changed bool
	err     error
}

// vsphereStep converges (apply) or observes (plan, check) every trunk's
// vSphere objects, before any host is touched.
func vsphereStep(ctx context.Context, io stdio, inv *inventory.Inventory, mode playbooks.Mode, specs []proto.VSphereSpec) []vsphereOutcome {
	var out []vsphereOutcome
	for _, spec := range specs {
		out = append(out, vsphereOne(ctx, io, inv, mode, spec))
	}
	return out
}

func vsphereOne(ctx context.Context, io stdio, inv *inventory.Inventory, mode playbooks.Mode, spec proto.VSphereSpec) vsphereOutcome {
	o := vsphereOutcome{spec: spec}
	cfg := vsphereConfig(io, inv.VSphere(spec.Server))
	if cfg.Insecure {
		fmt.Fprintf(io.err, "push: warning: vsphere %q: TLS certificate NOT verified (insecure)\n", spec.Server)
	}
	c, err := vsphere.Connect(ctx, cfg)
	if err != nil {
		o.err = fmt.Errorf("vsphere %s: %w", spec.Server, err)
		return o
	}
	defer c.Close(context.WithoutCancel(ctx))
	if mode == playbooks.ModeApply {
		rep, err := c.Apply(ctx, spec, func(e vsphere.Event) {
			if line := vsphereEventLine(spec.Server, e); line != "" {
				fmt.Fprintln(io.err, line)
			}
		})
		o.changes, o.nics, o.changed, o.err = rep.Changes, rep.NICs, rep.Changed(), err
		return o
	}
	obs, err := c.Observe(ctx, spec)
	if err != nil {
		o.err = err
		return o
	}
	o.changes, o.nics = vsphere.Diff(spec, obs), obs.AgentNICs()
	o.changed = len(o.changes) > 0
	return o
}

// macs maps agents to the trunk MAC address vSphere reports.
func macs(outs []vsphereOutcome) map[string]string {
	m := map[string]string{}
	for _, o := range outs {
		for _, n := range o.nics {
			m[n.Agent] = n.MAC
		}
	}
	return m
}

// drift is a trunk's vSphere outcome as a drift report target.
func (o vsphereOutcome) drift() playbooks.TargetDrift {
	var cs []playbooks.VSphereChange
	for _, c := range o.changes {
		comp := "VM NIC"
		if c.Kind == vsphere.KindCreatePortGroup || c.Kind == vsphere.KindUpdatePortGroup || c.Agent == "" {
			comp = "port group"
		}
		cs = append(cs, playbooks.VSphereChange{Component: comp, Object: c.Object, Expected: c.Expected, Actual: c.Actual, Action: c.Action})
	}
	return playbooks.VSphereDrift(fmt.Sprintf("%s/%s", o.spec.Server, o.spec.Trunk), cs, o.err)
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

// withMACs gives agents with trunk_nic = "auto" the MAC vSphere reports;
// missing names the agents whose VM has no trunk NIC yet.
func withMACs(hosts []playbooks.Host, m map[string]string) (out []playbooks.Host, missing []string) {
	for _, h := range hosts {
		if h.TrunkAuto && m[h.Name] == "" {
			missing = append(missing, h.Name)
		}
		out = append(out, playbooks.WithTrunkMAC(h, m[h.Name]))
	}
	return out, missing
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
