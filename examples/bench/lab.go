package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/kasmfleet/push/examples/lab/labenv"
	"github.com/kasmfleet/push/examples/lab/labvm"
	"github.com/kasmfleet/push/examples/lab/topology"
	"github.com/kasmfleet/push/inventory"
	"github.com/kasmfleet/push/playbooks"
	"github.com/kasmfleet/push/remote/helper/docker"
	"github.com/kasmfleet/push/remote/helper/kmod"
	"github.com/kasmfleet/push/remote/helper/netcfg"
	"github.com/kasmfleet/push/remote/helper/plan"
	"github.com/kasmfleet/push/remote/helper/snat"
	"github.com/kasmfleet/push/remote/proto"
)

// Workload 3 names.
const (
	W3Lab      = "3 lab: whole job from scratch"
	W3LabRerun = "3 lab: no-change re-run"
	labTrunk   = "eth1" // every lab agent's trunk NIC (kasm-agent-3 finds it by MAC)
)

// lab runs workload 3 on the lab's agent VMs, holding the lab lock:
// mode "no" skips it, "auto" runs it when the lab runs, "yes" fails when
// it does not.
func (b *bench) lab(ctx context.Context, mode string) error {
	if mode == "no" {
		return nil
	}
	l, err := labenv.Open()
	if err == nil {
		for _, vm := range topology.All() {
			if _, ok := labvm.Running(topology.Dir(l.StateDir()), vm.Name); !ok {
				err = fmt.Errorf("%s is not running", vm.Name)
			}
		}
	}
	if err != nil {
		if mode == "auto" {
			b.logf("lab not running (%v): workload 3 skipped", err)
			b.res.Notes = append(b.res.Notes, "Workload 3 was not run: the lab was not running (make lab-up).")
			return nil
		}
		return fmt.Errorf("lab not running: %w", err)
	}
	unlock, err := lockLab(l, b)
	if err != nil {
		return err
	}
	defer unlock()
	// Whoever held the lock may have restarted the lab.
	if l, err = labenv.Open(); err != nil {
		return err
	}
	return b.labRuns(ctx, l)
}

// lockLab takes the lab lock as labenv.Require does for tests.
func lockLab(l *labenv.Lab, b *bench) (func(), error) {
	f, err := os.OpenFile(filepath.Join(l.StateDir(), "lab.lock"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); errors.Is(err, syscall.EWOULDBLOCK) {
		b.logf("waiting for the lab lock: another process uses the lab")
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
	} else if err != nil {
		f.Close()
		return nil, err
	}
	return func() { f.Close() }, nil
}

func (b *bench) labRuns(ctx context.Context, l *labenv.Lab) error {
	agents := l.Agents()
	var qemu []int
	for _, a := range agents {
		if pid, ok := labvm.Running(topology.Dir(l.StateDir()), a.Name); ok {
			qemu = append(qemu, pid)
		}
	}
	reset := func() error {
		for _, a := range agents {
			if err := l.Reset(ctx, a.Name); err != nil {
				return err
			}
		}
		return nil
	}
	measure := func(r Run, fn func() (Measured, error)) (Run, error) {
		cpu0 := serverCPU(qemu)
		m, err := fn()
		r.Wall, r.ControllerCPU = m.Wall, m.CPU
		r.ServerCPU = serverCPU(qemu) - cpu0
		b.res.Runs = append(b.res.Runs, r)
		b.logf("%-8s %-32s n=%-4d wall %7.2fs  controller CPU %7.2fs  VM CPU %7.2fs", r.Tool, r.Workload, r.Hosts,
			r.Wall.Seconds(), r.ControllerCPU.Seconds(), r.ServerCPU.Seconds())
		return r, err
	}
	n := len(agents)
	pushBin, err := filepath.Abs("bin/push")
	if err != nil {
		return err
	}
	inv := l.InventoryPath()
	pushRun := func(workload string) error {
		_, err := measure(Run{Workload: workload, Hosts: n, Tool: ToolPush, Note: "includes the vSphere part (vcsim)"}, func() (Measured, error) {
			// All agents at once, as Ansible's play (no serial) runs them:
			// the inventory's canary batches would put push's hosts in turn.
			m, _, err := runMeasured(ctx, b.log, pushBin, []string{"apply", "--batch", "100%", inv}, nil)
			return m, err
		})
		return err
	}
	hostsFile := filepath.Join(b.out, "lab-hosts.json")
	if err := writeLabHosts(l, hostsFile); err != nil {
		return err
	}
	a, err := b.labAnsible(l, inv)
	if err != nil {
		return err
	}
	ansibleRun := func(workload string, wantChanged bool) error {
		var o ansibleOutcome
		r, err := measure(Run{Workload: workload, Hosts: n, Tool: ToolAnsible, Note: "host part only (no vSphere)"}, func() (Measured, error) {
			m, out, err := a.run(ctx, b.self, b.log, false)
			o = out
			return m, err
		})
		b.res.Runs[len(b.res.Runs)-1].Changed, b.res.Runs[len(b.res.Runs)-1].Failed = o.Changed, o.Failed
		_ = r
		if err == nil && (o.Failed > 0 || o.Hosts != n) {
			err = fmt.Errorf("%d of %d hosts failed (%d ran): %s", o.Failed, n, o.Hosts, o.FirstError)
		}
		if err == nil && !wantChanged && o.Changed > 0 {
			err = fmt.Errorf("the re-run changed %d hosts", o.Changed)
		}
		return err
	}
	floorRun := func(workload string) error {
		var cr childResult
		_, err := measure(Run{Workload: workload, Hosts: n, Tool: ToolFloor, Conns: 1, Execs: 1, CountSource: "by construction"}, func() (Measured, error) {
			m, out, err := runMeasured(ctx, b.log, b.self, []string{"floor", "-hosts", hostsFile, "-forks", fmt.Sprint(n)}, nil)
			if err == nil {
				err = json.Unmarshal(out, &cr)
			}
			return m, err
		})
		if err == nil && cr.Failed > 0 {
			err = fmt.Errorf("floor: %s", strings.Join(cr.Errors, "; "))
		}
		return err
	}
	b.logf("workload 3 on the lab (%d agents, qemu TCG)", n)
	steps := []func() error{
		reset,
		func() error { return floorRun(W3Lab) },
		func() error { return pushRun(W3Lab) },
		func() error { return floorRun(W3LabRerun) },
		func() error { return pushRun(W3LabRerun) },
	}
	if missing := pythonDockerMissing(ctx, l); missing != "" {
		b.logf("Ansible skipped on the lab: %s", missing)
		b.res.Notes = append(b.res.Notes, "Workload 3 without Ansible: "+missing+
			". The lab image has it since examples/lab/image/build.sh lists python3-docker; rebuild it with lab.sh down && lab.sh up.")
	} else {
		steps = append(steps,
			reset,
			func() error { return ansibleRun(W3Lab, true) },
			func() error { return ansibleRun(W3LabRerun, false) })
	}
	var errs []error
	for _, s := range steps {
		if err := s(); err != nil {
			errs = append(errs, err)
			break
		}
	}
	// Leave the lab as found: clean.
	if err := reset(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// pythonDockerMissing says which agent cannot run community.docker's
// modules (they need Python's requests, which python3-docker brings).
func pythonDockerMissing(ctx context.Context, l *labenv.Lab) string {
	for _, a := range l.Agents() {
		if out, err := l.Run(ctx, a.Name, "python3 -c 'import requests, docker'"); err != nil {
			return fmt.Sprintf("%s has no python3-docker (%s)", a.Name, strings.TrimSpace(lastLine(out)))
		}
	}
	return ""
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

func writeLabHosts(l *labenv.Lab, path string) error {
	var hosts []playbooks.Host
	for _, a := range l.Agents() {
		host, port, _ := strings.Cut(a.SSHAddr, ":")
		var p int
		fmt.Sscan(port, &p)
		hosts = append(hosts, playbooks.Host{Name: a.Name, Conn: playbooks.Connection{Address: host, Port: p,
			User: "root", IdentityFile: l.KeyPath(), KnownHosts: l.KnownHostsPath()}})
	}
	js, err := json.Marshal(hosts)
	if err != nil {
		return err
	}
	return os.WriteFile(path, js, 0o600)
}

// labAnsible writes the Ansible project for the lab: per host, the very
// Docker networks, trunk file and SNAT table push derives from the
// inventory, so both tools converge the hosts to the same state.
func (b *bench) labAnsible(l *labenv.Lab, invPath string) (*ansibleSetup, error) {
	inv, diags := inventory.Load(inventory.Options{}, invPath)
	if diags.HasErrors() {
		return nil, fmt.Errorf("inventory: %s", diags.Error())
	}
	want := map[string]playbooks.Host{}
	for _, h := range playbooks.Desire(inv).Hosts {
		want[h.Name] = h
	}
	files := map[string][]byte{filepath.Base(kmod.PersistFile): []byte("# Written by push: 8021q is needed for VLAN sub-interfaces.\n8021q\n")}
	var targets []ansibleTarget
	hostVars := map[string]map[string]any{}
	for _, a := range l.Agents() {
		h, ok := want[a.Name]
		if !ok {
			return nil, fmt.Errorf("agent %s is not in %s", a.Name, invPath)
		}
		host, port, _ := strings.Cut(a.SSHAddr, ":")
		var p int
		fmt.Sscan(port, &p)
		targets = append(targets, ansibleTarget{Name: a.Name, Addr: host, Port: p})
		flavor := netcfg.Flavor(a.NetConfig)
		files["trunk-"+a.NetConfig] = netcfg.Render(flavor, labTrunk)
		nets := plan.Desired(h.Spec, labTrunk)
		byName := map[string]docker.Network{}
		var list []map[string]any
		for _, n := range nets {
			byName[n.Name] = n
			ipam := map[string]any{"subnet": n.Subnet}
			if n.Gateway != "" {
				ipam["gateway"] = n.Gateway
			}
			if n.IPRange != "" {
				ipam["iprange"] = n.IPRange
			}
			if len(n.Aux) > 0 {
				ipam["aux_addresses"] = n.Aux
			}
			list = append(list, map[string]any{"name": n.Name, "driver": n.Driver, "options": n.Options,
				"ipam": ipam, "attachable": n.Attachable, "labels": n.Labels})
		}
		rules, _ := plan.SNATRules(h.Spec, byName, nil, false)
		mode := "0644"
		if flavor == netcfg.Netplan || flavor == netcfg.NetworkManager {
			mode = "0600"
		}
		reload := map[netcfg.Flavor]string{netcfg.Networkd: "networkctl reload", netcfg.Netplan: "netplan generate"}[flavor]
		hostVars[a.Name] = map[string]any{"net_config": a.NetConfig, "trunk_file": netcfg.File(flavor),
			"trunk_mode": mode, "reload_cmd": reload, "networks": list, "snat_nft": nftTable(rules)}
	}
	set, err := writeAnsible(filepath.Join(b.out, "ansible-lab"), "examples/bench/ansible/lab.yml", len(targets), b.strategy,
		l.KeyPath(), l.KnownHostsPath(), targets, map[string]any{"trunk": labTrunk}, files)
	if err != nil {
		return nil, err
	}
	return set, addHostVars(set, hostVars)
}

// nftTable is push's SNAT table as an nft script that replaces it
// whole, as the helper's one-batch replace does.
func nftTable(rules []proto.SNATRule) string {
	rules = snat.Sorted(rules)
	var s strings.Builder
	fmt.Fprintf(&s, "table ip %s\ndelete table ip %s\ntable ip %s {\n\tchain %s {\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n",
		snat.Table, snat.Table, snat.Table, snat.Chain)
	for _, r := range rules {
		fmt.Fprintf(&s, "\t\tip saddr %s oifname != %q snat to %s comment %q\n", r.Subnet, r.Bridge, r.SourceIP, "push: "+r.Bridge)
	}
	s.WriteString("\t}\n}\n")
	return s.String()
}

// addHostVars merges per-host variables into the written inventory.
func addHostVars(a *ansibleSetup, vars map[string]map[string]any) error {
	p := filepath.Join(a.dir, "inventory.json")
	js, err := os.ReadFile(p)
	if err != nil {
		return err
	}
	var inv ansibleInventory
	if err := json.Unmarshal(js, &inv); err != nil {
		return err
	}
	names := make([]string, 0, len(vars))
	for n := range vars {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		for k, v := range vars[n] {
			inv.All.Hosts[n][k] = v
		}
	}
	js, err = json.MarshalIndent(inv, "", " ")
	if err != nil {
		return err
	}
	return os.WriteFile(p, js, 0o644)
}
