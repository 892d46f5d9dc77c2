package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/kasmfleet/push/playbooks/importinv"
	"github.com/kasmfleet/push/runner/sshhosts"
)

const importArgs = "[--out FILE] [--force] HOSTS..."

// runImport writes the inventory of hosts that already carry networks.
func runImport(ctx context.Context, io stdio, args []string) int {
	fs := flags(io, "import", importArgs)
	usage := fs.Usage
	fs.Usage = func() {
		usage()
		fmt.Fprintln(io.err, "HOSTS are inventory files (*.hcl: their agents and defaults), ssh_config Host names, globs over them (\"kasm-*\"), or addresses. Each host is read once, read only.")
	}
	out := fs.String("out", "", "write the inventory to this file instead of standard output")
	force := fs.Bool("force", false, "overwrite the --out file when it exists")
	sshConfig := fs.String("ssh-config", "", `ssh_config file whose Host names HOSTS globs match (default ~/.ssh/config; "none": none)`)
	var vs importVSphereFlags
	fs.StringVar(&vs.portGroup, "portgroup", "", "also read vCenter: the distributed port group that trunks the VLANs (login from GOVC_*)")
	fs.StringVar(&vs.dvSwitch, "switch", "", "with --portgroup: its distributed switch")
	fs.StringVar(&vs.url, "vsphere", "", "with --portgroup: the vCenter URL (default GOVC_URL)")
	fs.StringVar(&vs.datacenter, "datacenter", "", "with --portgroup: the datacenter (default GOVC_DATACENTER)")
	var f fleetFlags
	fs.BoolVar(&f.acceptNew, "accept-new-host-keys", false, "trust unknown host keys on first use and record them (changed keys are always refused)")
	fs.IntVar(&f.forks, "forks", 20, "hosts read at once")
	fs.DurationVar(&f.timeout, "timeout", 0, "longest time one host may take (default 5m)")
	f.registerConnectTimeout(fs)
	targets, code, ok := parse(fs, args)
	if !ok {
		return code
	}
	if *out != "" && !*force {
		if _, err := os.Stat(*out); !errors.Is(err, os.ErrNotExist) {
			fmt.Fprintf(io.err, "push import: %s exists; --force overwrites it\n", *out)
			return exitFailed
		}
	}
	fleet, err := importTargets(io, targets, *sshConfig)
	if err != nil {
		fmt.Fprintf(io.err, "push import: %v\n", err)
		return exitUsage
	}
	opts := sshOptions(io, &f)
	opts.SSHConfigPath = *sshConfig
	transport, err := sshhosts.New(opts)
	if err != nil {
		fmt.Fprintf(io.err, "push import: %v\n", err)
		return exitFailed
	}
	defer transport.Close()
	fleet.Fleet.Hosts = importinv.Survey(ctx, transport, fleet.hosts, f.forks)
	failed := false
	if vs.set() {
		var err error
		if fleet.VSphere, err = vs.observe(ctx, io, fleet.Fleet.Hosts); err != nil {
			fmt.Fprintf(io.err, "push import: vsphere: %v; written without it\n", err)
			failed = true
		}
	}
	src := importinv.Write(fleet.Fleet)
	if err := writeImport(io, *out, src); err != nil {
		fmt.Fprintf(io.err, "push import: %v\n", err)
		return exitFailed
	}
	unread := importinv.Unread(fleet.Fleet.Hosts)
	fmt.Fprintf(io.err, "push import: read %d of %d hosts whole\n", len(fleet.hosts)-unread, len(fleet.hosts))
	if unread > 0 || failed {
		for _, h := range fleet.Fleet.Hosts {
			if p := h.Problem(); p != "" {
				fmt.Fprintf(io.err, "  %s: %s\n", h.Name, p)
			}
		}
		return exitFailed
	}
	return exitOK
}

// writeImport writes src to path (atomically) or, without one, to stdout.
func writeImport(io stdio, path string, src []byte) error {
	if path == "" {
		_, err := io.out.Write(src)
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".push-import-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(src); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return os.Rename(tmp.Name(), path)
}
