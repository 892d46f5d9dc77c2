package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/kasmfleet/push/inventory"
	"github.com/kasmfleet/push/playbooks"
	"github.com/kasmfleet/push/remote/proto"
	"github.com/kasmfleet/push/remote/vsphere"
)

// vsphereStep converges (apply) or observes (plan, check) every trunk's
// vSphere objects before any host is touched. It returns each agent's
// trunk MAC address as vSphere reports it, for trunk_nic = "auto", and
// whether anything changed or is pending.
func vsphereStep(ctx context.Context, io stdio, inv *inventory.Inventory, mode playbooks.Mode, specs []proto.VSphereSpec) (map[string]string, bool, error) {
	macs := map[string]string{}
	changed := false
	var errs []error
	for _, spec := range specs {
		cfg := vsphereConfig(io, inv.VSphere(spec.Server))
		if cfg.Insecure {
			fmt.Fprintf(io.err, "push: warning: vsphere %q: TLS certificate NOT verified (insecure)\n", spec.Server)
		}
		c, err := vsphere.Connect(ctx, cfg)
		if err != nil {
			errs = append(errs, fmt.Errorf("vsphere %s: %w", spec.Server, err))
			continue
		}
		var changes []vsphere.Change
		var nics []vsphere.AgentNIC
		if mode == playbooks.ModeApply {
			rep, err := c.Apply(ctx, spec, func(e vsphere.Event) { fmt.Fprintf(io.err, "vsphere %s: %s: %s\n", spec.Server, e.Object, e.Message) })
			changes, nics = rep.Changes, rep.NICs
			changed = changed || rep.Changed()
			errs = append(errs, err)
		} else {
			obs, err := c.Observe(ctx, spec)
			errs = append(errs, err)
			changes, nics = vsphere.Diff(spec, obs), obs.AgentNICs()
			changed = changed || len(changes) > 0
		}
		c.Close(context.WithoutCancel(ctx))
		for _, n := range nics {
			macs[n.Agent] = n.MAC
		}
		printVSphere(io.out, spec, changes)
	}
	return macs, changed, errors.Join(errs...)
}

func printVSphere(w io.Writer, spec proto.VSphereSpec, changes []vsphere.Change) {
	fmt.Fprintf(w, "vSphere %s, ", spec.Server)
	vsphere.WriteChanges(w, spec.Trunk, changes)
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

// withMACs gives agents with trunk_nic = "auto" the MAC vSphere reports.
func withMACs(hosts []playbooks.Host, macs map[string]string) ([]playbooks.Host, error) {
	out := make([]playbooks.Host, len(hosts))
	var errs []error
	for i, h := range hosts {
		if h.TrunkAuto && macs[h.Name] == "" {
			errs = append(errs, fmt.Errorf("%s: trunk_nic is \"auto\" but vSphere reports no trunk NIC on VM %s", h.Name, h.VM))
		}
		out[i] = playbooks.WithTrunkMAC(h, macs[h.Name])
	}
	return out, errors.Join(errs...)
}
