package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/kasmfleet/push/playbooks"
	"github.com/kasmfleet/push/remote/proto"
	"github.com/kasmfleet/push/remote/vsphere"
)

func runPlan(ctx context.Context, io stdio, args []string) int {
	var f fleetFlags
	fs := flags(io, "plan", "[--offline] [flags] FILE...")
	f.register(fs, playbooks.ModePlan)
	files, code, ok := parse(fs, args)
	if !ok {
		return code
	}
	if !f.offline {
		return playFleet(ctx, io, playbooks.ModePlan, f, files)
	}
	var online []string
	fs.Visit(func(fl *flag.Flag) {
		if fl.Name != "offline" && fl.Name != "json" {
			online = append(online, "--"+fl.Name)
		}
	})
	if len(online) > 0 {
		fmt.Fprintf(io.err, "push: plan --offline connects nowhere: %s has no use with it\n", strings.Join(online, ", "))
		return exitUsage
	}
	return planOffline(io, files, f.asJSON)
}

// planOffline prints the desired state without connecting anywhere.
func planOffline(io stdio, files []string, asJSON bool) int {
	inv, _, ok := load(io, files, true)
	if !ok {
		return exitFailed
	}
	desired := playbooks.Desire(inv)
	if asJSON {
		writeJSON(io.out, struct {
			Version int `json:"version"`
			playbooks.Desired
		}{jsonVersion, desired})
		return exitOK
	}
	printDesired(io.out, desired)
	return exitOK
}

// printDesired renders the desired state for a person.
func printDesired(w io.Writer, d playbooks.Desired) {
	for _, v := range d.VSphere {
		fmt.Fprintf(w, "vSphere %s (%s, datacenter %s)\n", v.Server, or(v.URL, "URL from GOVC_URL"), or(v.Datacenter, "default"))
		if v.IsStandard() {
			hosts := "every host of the agent VMs' clusters"
			if len(v.Hosts) > 0 {
				hosts = "hosts " + strings.Join(v.Hosts, ", ")
			}
			fmt.Fprintf(w, "  standard port group %s on vSwitch %s of %s: VLAN 4095 (all VLANs; the agents use %s)\n",
				v.PortGroup, v.Switch, hosts, vsphere.FormatRanges(v.VLANs))
		} else {
			fmt.Fprintf(w, "  port group %s on switch %s: VLAN trunk %s\n", v.PortGroup, v.Switch, vsphere.FormatRanges(v.VLANs))
		}
		for _, vm := range v.VMs {
			fmt.Fprintf(w, "  VM %s: a vmxnet3 NIC on %s, connected at power-on\n", vm.VM, v.PortGroup)
		}
		fmt.Fprintln(w)
	}
	for _, h := range d.Hosts {
		c := h.Conn
		fmt.Fprintf(w, "agent %s (%s%s%s)\n", h.Name, prefix(c.User, "@"), c.Address, suffix(":", c.Port))
		s := h.Spec
		if s.Trunk != nil {
			nic := s.Trunk.NIC
			if h.TrunkAuto {
				nic = "found by the MAC address vSphere gives VM " + h.VM
			}
			if h.BareMetal {
				nic += " (bare metal: no VM, vSphere leaves this host out)"
			}
			fmt.Fprintf(w, "  8021q: loaded now and at boot\n")
			fmt.Fprintf(w, "  trunk NIC %s: up, no address, kept so across reboots\n", nic)
		}
		for _, v := range s.VLANs {
			fmt.Fprintf(w, "  network %s: %s %s on VLAN %d, subnet %s, gateway %s, ip-range %s (probe %s)\n",
				v.Name, v.Driver, v.Mode, v.VID, v.Subnet, v.Gateway, v.IPRange, v.ProbeIP)
		}
		for _, b := range s.Bridges {
			fmt.Fprintf(w, "  network %s: bridge %s, subnet %s, %s\n", b.Name, b.Bridge, or(b.Subnet, "chosen by Docker"), egressText(b))
		}
		if s.Trunk == nil && len(s.VLANs)+len(s.Bridges) == 0 {
			fmt.Fprintln(w, "  nothing")
		}
		fmt.Fprintln(w)
	}
	printDesiredWorkspaces(w, d.Workspaces)
}

func egressText(b proto.BridgeNetwork) string {
	switch {
	case b.AddAddress != "":
		return fmt.Sprintf("leaving with source %s (added to the host as %s)", b.SourceIP, b.AddAddress)
	case b.SourceIP != "":
		return "leaving with source " + b.SourceIP
	}
	return "masqueraded by Docker"
}

func or(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

func prefix(s, sep string) string {
	if s == "" {
		return ""
	}
	return s + sep
}

func suffix(sep string, n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("%s%d", sep, n)
}
