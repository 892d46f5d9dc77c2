package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/kasmfleet/push/examples/lab/sshfleet"
	"github.com/kasmfleet/push/playbooks"
	"github.com/kasmfleet/push/remote/proto"
)

// measureRSS is `bench rss`: push's controller memory (the largest
// resident set of `bench push`, from wait4's rusage) on a fleet of n
// sshd, first all healthy, then with spew of them answering every
// command with endless output (`cat /dev/zero`, as a broken login script
// or a compromised host might). Each run is push check's code path.
func measureRSS(ctx context.Context, n, spew int) error {
	if spew > n {
		return fmt.Errorf("%d spewing hosts out of %d", spew, n)
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	f, err := sshfleet.Start(ctx, n, sshfleet.Options{})
	if err != nil {
		return fmt.Errorf("start fleet of %d: %w", n, err)
	}
	defer f.Close()
	var hosts []playbooks.Host
	for _, h := range f.Hosts() {
		hosts = append(hosts, playbooks.Host{Name: h.Name,
			Conn: playbooks.Connection{Address: h.Addr, Port: h.Port, User: "root",
				IdentityFile: f.KeyPath(), KnownHosts: f.KnownHostsPath()},
			Spec: proto.HostSpec{Agent: h.Name}})
	}
	b, err := json.Marshal(hosts)
	if err != nil {
		return err
	}
	hostsFile := filepath.Join(f.Dir(), "hosts.json")
	if err := os.WriteFile(hostsFile, b, 0o600); err != nil {
		return err
	}
	run := func(what string) error {
		m, out, err := runMeasured(ctx, os.Stderr, self, []string{"push", "-hosts", hostsFile, "-mode", "check", "-forks", fmt.Sprint(n)}, nil)
		var cr childResult
		if err == nil {
			err = json.Unmarshal(out, &cr)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		fmt.Printf("%-40s n=%d done %3d failed %3d  max RSS %6.1f MiB  wall %6.2fs  CPU %6.2fs\n",
			what, n, cr.Done, cr.Failed, float64(m.MaxRSS)/(1<<20), m.Wall.Seconds(), m.CPU.Seconds())
		for _, e := range cr.Errors[:min(len(cr.Errors), 1)] {
			fmt.Printf("  e.g. %.200s\n", e)
		}
		return nil
	}
	if err := run("first contact (helper upload), all healthy"); err != nil {
		return err
	}
	if err := run("check, all healthy"); err != nil {
		return err
	}
	wrapper := filepath.Join(f.Dir(), "spew.sh")
	if err := os.WriteFile(wrapper, []byte("#!/bin/sh\nexec cat /dev/zero\n"), 0o755); err != nil {
		return err
	}
	for i := range spew {
		if err := f.Restart(ctx, i*n/spew, "ForceCommand "+wrapper+"\n"); err != nil {
			return err
		}
	}
	return run(fmt.Sprintf("check, %d of them spewing", spew))
}
