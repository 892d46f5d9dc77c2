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
	"github.com/kasmfleet/push/playbooks"
	"github.com/kasmfleet/push/remote/ssh"
	"github.com/kasmfleet/push/runner"
	"github.com/kasmfleet/push/runner/sshhosts"
)

func runApply(ctx context.Context, io stdio, args []string) int {
	return runFleet(ctx, io, playbooks.ModeApply, args)
}

func runCheck(ctx context.Context, io stdio, args []string) int {
	return runFleet(ctx, io, playbooks.ModeCheck, args)
}

func runFleet(ctx context.Context, io stdio, mode playbooks.Mode, args []string) int {
	var f fleetFlags
	fs := flags(io, string(mode), "[flags] FILE...")
	f.register(fs, mode)
	files, code, ok := parse(fs, args)
	if !ok {
		return code
	}
	return playFleet(ctx, io, mode, f, files)
}

// playFleet is one apply, plan or check: the flags and inventory make a
// playbook (its steps are playbooks.Steps), and the outcome a report.
func playFleet(ctx context.Context, io stdio, mode playbooks.Mode, f fleetFlags, files []string) int {
	inv, _, ok := load(io, files, true)
	if !ok {
		return exitFailed
	}
	pb, err := f.playbook(mode, inv)
	if err != nil {
		fmt.Fprintf(io.err, "push: %v\n", err)
		return exitUsage
	}
	if f.limit != "" && len(inv.Workspaces) > 0 {
		fmt.Fprintf(io.err, "push: --limit: the Kasm workspaces are left as they are (they need the whole fleet)\n")
	}
	if pb.Drain != nil {
		pb.Drain.Ledger = ledger(filepath.Join(stateDir(io), "drained"))
	}
	log, err := logFile(io, mode)
	if err != nil {
		fmt.Fprintf(io.err, "push: %v\n", err)
		return exitFailed
	}
	defer log.Close()
	transport, err := sshhosts.New(sshOptions(io, &f))
	if err != nil {
		fmt.Fprintf(io.err, "push: %v\n", err)
		return exitFailed
	}
	defer transport.Close()
	ctx, stop, release := interrupts(ctx, io)
	defer release()
	pb.VCenter, pb.Transport, pb.Rollout.Stop = vcenter{io: io, inv: inv}, transport, stop
	quiet := mode == playbooks.ModeCheck && f.asJSON
	prog := newProgress(io.err, f.asJSON && !quiet, io.tty, io.color, pb.Batches())
	logEvents := &plainProgress{w: log}
	pb.Rollout.Events = func(e runner.Event) {
		if !quiet {
			prog.event(e)
		}
		logEvents.event(e)
	}
	out, err := pb.Play(ctx)
	if err != nil { // a step before the hosts stopped the run
		fmt.Fprintf(io.err, "push: %v\npush: no host was touched\n", err)
		return exitFailed
	}
	if !quiet {
		prog.finish()
	}
	logResults(log, out.Fleet)
	warn(io.err, log, transport.Warnings())
	if mode == playbooks.ModeCheck {
		return reportCheck(io, f, files, out, log.Name())
	}
	return reportChanges(io, f, mode, out, log.Name())
}

// reportChanges ends apply and plan.
func reportChanges(io stdio, f fleetFlags, mode playbooks.Mode, out playbooks.Outcome, log string) int {
	if f.asJSON {
		writeJSON(io.out, reportJSON(mode, out.Fleet, out.Workspaces))
	} else {
		printReport(io.out, mode, out.Fleet)
		printWorkspaces(io.out, mode, out.Workspaces)
	}
	switch {
	case out.Fleet.Err() != nil || workspacesFailed(out.Workspaces) != "":
		fmt.Fprintf(io.err, "push: full log: %s\n", log)
		return exitFailed
	case mode == playbooks.ModePlan && out.Changed(mode):
		return exitChanges
	}
	return exitOK
}

// reportCheck ends check: every target in sync, drifted or unknown.
func reportCheck(std stdio, f fleetFlags, files []string, out playbooks.Outcome, log string) int {
	rep := driftreport.Report{Version: driftreport.SchemaVersion, Generated: time.Now().UTC(),
		Inventory: strings.Join(files, ", "), Targets: out.Drift}
	var werr error
	if f.junit != "" {
		werr = errors.Join(werr, writeFile(f.junit, func(w io.Writer) error { return driftreport.WriteJUnit(w, rep) }))
	}
	if f.html != "" {
		werr = errors.Join(werr, writeFile(f.html, func(w io.Writer) error { return driftreport.WriteHTML(w, rep) }))
	}
	if f.asJSON {
		werr = errors.Join(werr, driftreport.WriteJSON(std.out, rep))
	} else {
		werr = errors.Join(werr, driftreport.WriteText(std.out, rep, std.color))
	}
	if werr != nil {
		fmt.Fprintf(std.err, "push: %v\n", werr)
		return exitFailed
	}
	code := rep.ExitCode(f.allowUnreachable)
	if code == exitFailed {
		fmt.Fprintf(std.err, "push: full log: %s\n", log)
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

// holder names this controller in host locks.
func holder() string {
	name, _ := os.Hostname()
	u := "unknown"
	if cur, err := user.Current(); err == nil {
		u = cur.Username
	}
	return u + "@" + name
}

// warn tells the user and the log, once per host, what the host's shell
// printed around push's commands.
func warn(errw, log io.Writer, warnings map[string]string) {
	for _, host := range slices.Sorted(maps.Keys(warnings)) {
		for _, w := range []io.Writer{errw, log} {
			fmt.Fprintf(w, "push: warning: %s: %s\n", host, warnings[host])
		}
	}
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
