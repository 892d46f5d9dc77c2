package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// hold starts a bench fleet of n and keeps it until interrupted, for
// profiling by hand: it prints the hosts file (for `bench push`, `bench
// floor`) and each host's sshd listener (for strace -f -p, perf).
func hold(ctx context.Context, n int) error {
	f, err := startFleet(ctx, n, "")
	if err != nil {
		return err
	}
	defer f.Close()
	hostsFile := filepath.Join(f.work, "hosts.json")
	if err := writeHosts(f, hostsFile); err != nil {
		return err
	}
	fmt.Printf("hosts %s\n", hostsFile)
	for i := range f.Len() {
		fmt.Printf("%s sshd %d helper dir %s\n", f.Host(i).Name, f.PID(i), f.HelperDir(i))
	}
	os.Stdout.Sync()
	<-ctx.Done()
	return nil
}
