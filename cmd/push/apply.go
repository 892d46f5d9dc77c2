package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/kasmfleet/push/cmd/push/driftreport"
	"github.com/kasmfleet/push/inventory"
	"github.com/kasmfleet/push/playbooks"
	"github.com/kasmfleet/push/remote/proto"
	"github.com/kasmfleet/push/remote/ssh"
	"github.com/kasmfleet/push/remote/vsphere"
	"github.com/kasmfleet/push/runner"
	"github.com/kasmfleet/push/runner/sshhosts"
)

func runApply(ctx context.Context, io stdio, args []string) int {
	return runFleet(ctx, io, playbooks.ModeApply, args)
}

func runCheck(ctx context.Context, io stdio, args []string) int {
	return runFleet(ctx, io, playbooks.ModeCheck, args)
}

// fleetRun is one apply, plan or check: validate, vSphere, then every host
// in rolling batches, then a report.
type fleetRun struct {
	io    stdio
	mode  playbooks.Mode
	f     fleetFlags
	files []string
	inv   *inventory.Inventory
	want  playbooks.Desired
	hosts []playbooks.Host
	opts  runner.Options
	log   *os.File
	vs    []vsphereOutcome
	rep   runner.Summary
}

func runFleet(ctx context.Context, io stdio, mode playbooks.Mode, args []string) int {
	r := &fleetRun{io: io, mode: mode}
	fs := flags(io, string(mode), "[flags] FILE...")
	r.f.register(fs, mode)
	files, code, ok := parse(fs, args)
	if !ok {
		return code
	}
	r.files = files
	if code := r.prepare(); code >= 0 {
		return code
	}
	defer r.log.Close()
	ctx, stop, release := interrupts(ctx, io)
	defer release()
	r.opts.Stop = stop

	if specs := limitVMs(r.want.VSphere, r.hosts); len(specs) > 0 {
		r.vs = vsphereStep(ctx, io, r.inv, mode, specs)
		if mode != playbooks.ModeCheck {
			for _, o := range r.vs {
				fmt.Fprintf(io.out, "vSphere %s, ", o.spec.Server)
				vsphere.WriteChanges(io.out, o.spec.Trunk, o.changes)
			}
		}
		if err := r.vsphereErr(); err != nil && mode != playbooks.ModeCheck {
			fmt.Fprintf(io.err, "push: %v\npush: no host was touched\n", err)
			return exitFailed
		}
	}
	var missing []string
	r.hosts, missing = withMACs(r.hosts, macs(r.vs))
	if len(missing) > 0 && mode == playbooks.ModeApply {
		fmt.Fprintf(io.err, "push: trunk_nic is \"auto\" but vSphere reports no trunk NIC for %s\n", strings.Join(missing, ", "))
		return exitFailed
	}
	if code := r.runHosts(ctx); code >= 0 {
		return code
	}
	if mode == playbooks.ModeCheck {
		return r.reportCheck()
	}
	return r.reportChanges()
}

// prepare loads the inventory and sets up the run; a code >= 0 ends it.
func (r *fleetRun) prepare() int {
	inv, _, ok := load(r.io, r.files, true)
	if !ok {
		return exitFailed
	}
	r.inv, r.want = inv, playbooks.Desire(inv)
	hosts, err := limitHosts(inv, r.want.Hosts, r.f.limit)
	if err != nil {
		fmt.Fprintf(r.io.err, "push: %v\n", err)
		return exitUsage
	}
	r.hosts = hosts
	if r.opts, err = r.f.runOptions(inv.Rollout); err != nil {
		fmt.Fprintf(r.io.err, "push: %v\n", err)
		return exitUsage
	}
	if r.mode != playbooks.ModeApply { // observe everyone, whatever fails
		r.opts.Batches, r.opts.MaxFailures = nil, runner.Size{N: 100, Percent: true}
	}
	if r.log, err = logFile(r.io, r.mode); err != nil {
		fmt.Fprintf(r.io.err, "push: %v\n", err)
		return exitFailed
	}
	return -1
}

func (r *fleetRun) vsphereErr() error {
	var errs []error
	for _, o := range r.vs {
		errs = append(errs, o.err)
	}
	return errors.Join(errs...)
}

// runHosts runs the helper on every host; a code >= 0 ends the run.
func (r *fleetRun) runHosts(ctx context.Context) int {
	transport, err := sshhosts.New(sshOptions(r.io, &r.f))
	if err != nil {
		fmt.Fprintf(r.io.err, "push: %v\n", err)
		return exitFailed
	}
	defer transport.Close()
	quiet := r.mode == playbooks.ModeCheck && r.f.asJSON
	prog := newProgress(r.io.err, r.f.asJSON && !quiet, r.io.tty, r.io.color, len(runner.Batches(len(r.hosts), r.opts.Batches)))
	logEvents := &plainProgress{w: r.log}
	r.opts.Events = func(e runner.Event) {
		if !quiet {
			prog.event(e)
		}
		logEvents.event(e)
	}
	job := runner.Job{Mode: r.mode, Hosts: r.hosts, Transport: transport, Options: r.opts,
		Run: playbooks.RunOptions{Prune: r.f.prune, Holder: holder()}}
	r.rep = job.Go(ctx)
	if !quiet {
		prog.finish()
	}
	logResults(r.log, r.rep)
	warnings := transport.Warnings()
	for _, host := range slices.Sorted(maps.Keys(warnings)) {
		for _, w := range []io.Writer{r.io.err, r.log} {
			fmt.Fprintf(w, "push: warning: %s: %s\n", host, warnings[host])
		}
	}
	return -1
}

// reportChanges ends apply and plan.
func (r *fleetRun) reportChanges() int {
	if r.f.asJSON {
		writeJSON(r.io.out, reportJSON(r.mode, r.rep))
	} else {
		printReport(r.io.out, r.mode, r.rep)
	}
	vsChanged := slices.ContainsFunc(r.vs, func(o vsphereOutcome) bool { return o.changed })
	switch {
	case r.rep.Err() != nil:
		fmt.Fprintf(r.io.err, "push: full log: %s\n", r.log.Name())
		return exitFailed
	case r.mode == playbooks.ModePlan && (runner.Changed(r.mode, r.rep) || vsChanged):
		return exitChanges
	}
	return exitOK
}

// reportCheck ends check: every target in sync, drifted or unknown.
func (r *fleetRun) reportCheck() int {
	rep := driftreport.Report{Version: driftreport.SchemaVersion, Generated: time.Now().UTC(),
		Inventory: strings.Join(r.files, ", ")}
	for _, o := range r.vs {
		rep.Targets = append(rep.Targets, o.drift())
	}
	for _, h := range r.rep.Hosts {
		res, err := h.Result, h.Err
		if res != nil && res.Error != "" {
			err, res = errors.New(res.Error), nil
		}
		if h.State == runner.StateNotStarted || h.State == runner.StateAborted {
			err = fmt.Errorf("not observed: %s", h.State)
		}
		if res == nil && err == nil {
			err = errors.New("no answer")
		}
		rep.Targets = append(rep.Targets, playbooks.HostDrift(h.Host, res, err))
	}
	var werr error
	if r.f.junit != "" {
		werr = errors.Join(werr, writeFile(r.f.junit, func(w io.Writer) error { return driftreport.WriteJUnit(w, rep) }))
	}
	if r.f.html != "" {
		werr = errors.Join(werr, writeFile(r.f.html, func(w io.Writer) error { return driftreport.WriteHTML(w, rep) }))
	}
	if r.f.asJSON {
		werr = errors.Join(werr, driftreport.WriteJSON(r.io.out, rep))
	} else {
		werr = errors.Join(werr, driftreport.WriteText(r.io.out, rep, r.io.color))
	}
	if werr != nil {
		fmt.Fprintf(r.io.err, "push: %v\n", werr)
		return exitFailed
	}
	code := rep.ExitCode(r.f.allowUnreachable)
	if code == exitFailed {
		fmt.Fprintf(r.io.err, "push: full log: %s\n", r.log.Name())
	}
	return code
}

// writeFile writes a report atomically, so a reader never sees half.
func writeFile(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".push-report-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	os.Chmod(tmp.Name(), 0o644)
	return os.Rename(tmp.Name(), path)
}

// limitVMs keeps, in each vSphere spec, only the VMs of hosts; a spec
// left with no VM is dropped when the run is limited to some agents.
func limitVMs(specs []proto.VSphereSpec, hosts []playbooks.Host) []proto.VSphereSpec {
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

// holder names this controller in host locks.
func holder() string {
	name, _ := os.Hostname()
	u := "unknown"
	if cur, err := user.Current(); err == nil {
		u = cur.Username
	}
	return u + "@" + name
}

// logResults appends every host's full result to the log.
func logResults(w io.Writer, rep runner.Summary) {
	for _, h := range rep.Hosts {
		if h.State == runner.StateNotStarted {
			fmt.Fprintf(w, "%s: %s\n", h.Host, h.State)
			continue
		}
		b, _ := json.Marshal(h.Result)
		fmt.Fprintf(w, "%s: %s exit %d err %v result %s\n", h.Host, h.State, h.Exit, h.Err, b)
		if re := (*ssh.RemoteError)(nil); errors.As(h.Err, &re) {
			fmt.Fprintf(w, "%s: what the host sent:\n%s\n", h.Host, re.Output())
		}
	}
}
