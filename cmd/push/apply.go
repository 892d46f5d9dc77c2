package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/user"
	"slices"

	"github.com/kasmfleet/push/playbooks"
	"github.com/kasmfleet/push/remote/proto"
	"github.com/kasmfleet/push/runner"
	"github.com/kasmfleet/push/runner/sshhosts"
)

func runApply(ctx context.Context, io stdio, args []string) int {
	return runFleet(ctx, io, playbooks.ModeApply, args)
}

func runCheck(ctx context.Context, io stdio, args []string) int {
	return runFleet(ctx, io, playbooks.ModeCheck, args)
}

// runFleet is apply and (online) plan: validate, then every host in
// rolling batches, then a report.
func runFleet(ctx context.Context, io stdio, mode playbooks.Mode, args []string) int {
	fs := flags(io, string(mode), "[flags] FILE...")
	var f fleetFlags
	f.register(fs, mode)
	files, code, ok := parse(fs, args)
	if !ok {
		return code
	}
	inv, _, ok := load(io, files, true)
	if !ok {
		return exitFailed
	}
	desired := playbooks.Desire(inv)
	hosts, err := limitHosts(inv, desired.Hosts, f.limit)
	if err != nil {
		fmt.Fprintf(io.err, "push: %v\n", err)
		return exitUsage
	}
	opts, err := f.runOptions(inv.Rollout)
	if err != nil {
		fmt.Fprintf(io.err, "push: %v\n", err)
		return exitUsage
	}
	if mode != playbooks.ModeApply {
		opts.Batches, opts.MaxFailures = nil, runner.Size{N: 100, Percent: true} // observe everyone
	}
	transport, err := sshhosts.New(sshOptions(io, &f))
	if err != nil {
		fmt.Fprintf(io.err, "push: %v\n", err)
		return exitFailed
	}
	defer transport.Close()
	log, err := logFile(io, mode)
	if err != nil {
		fmt.Fprintf(io.err, "push: %v\n", err)
		return exitFailed
	}
	defer log.Close()

	ctx, stop, release := interrupts(ctx, io)
	defer release()
	vsChanged := false
	if specs := limitVMs(desired.VSphere, hosts); len(specs) > 0 {
		macs, changed, err := vsphereStep(ctx, io, inv, mode, specs)
		if err != nil {
			fmt.Fprintf(io.err, "push: vSphere: %v\npush: no host was touched\n", err)
			return exitFailed
		}
		vsChanged = changed
		if hosts, err = withMACs(hosts, macs); err != nil && mode == playbooks.ModeApply {
			fmt.Fprintf(io.err, "push: %v\n", err)
			return exitFailed
		}
	}
	opts.Stop = stop
	prog := newProgress(io.err, f.asJSON, io.tty, io.color, len(runner.Batches(len(hosts), opts.Batches)))
	logEvents := &plainProgress{w: log}
	opts.Events = func(e runner.Event) { prog.event(e); logEvents.event(e) }
	job := runner.Job{Mode: mode, Hosts: hosts, Transport: transport, Options: opts,
		Run: playbooks.RunOptions{Prune: f.prune, Holder: holder()}}
	rep := job.Go(ctx)
	prog.finish()
	logResults(log, rep)

	if f.asJSON {
		writeJSON(io.out, reportJSON(mode, rep))
	} else {
		printReport(io.out, mode, rep)
	}
	switch {
	case rep.Err() != nil:
		fmt.Fprintf(io.err, "push: full log: %s\n", log.Name())
		return exitFailed
	case mode != playbooks.ModeApply && (rep.Changed(mode) || vsChanged):
		return exitChanges
	}
	return exitOK
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
func logResults(w io.Writer, rep runner.Report) {
	for _, h := range rep.Summary.Hosts {
		hr := rep.Hosts[h.Host]
		if hr == nil {
			fmt.Fprintf(w, "%s: %s\n", h.Host, h.State)
			continue
		}
		b, _ := json.Marshal(hr.Result)
		fmt.Fprintf(w, "%s: %s exit %d err %v result %s\n", h.Host, h.State, hr.Exit, hr.Err, b)
	}
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
