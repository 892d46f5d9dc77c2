package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/kasmfleet/push/examples/lab/topology"
)

func ip(ctx context.Context, args ...string) error {
	out, err := exec.CommandContext(ctx, "ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %v: %w: %s", args, err, bytes.TrimSpace(out))
	}
	return nil
}

func linkExists(name string) bool {
	_, err := os.Stat(filepath.Join("/sys/class/net", name))
	return err == nil
}

// quiet keeps the host from speaking IPv6 on lab links.
func quiet(name string) {
	_ = os.WriteFile(filepath.Join("/proc/sys/net/ipv6/conf", name, "disable_ipv6"), []byte("1"), 0o644)
}

// createNetwork makes the trunk and LAN bridges and one tap per VM and
// bridge. The host has no address on them: lab traffic stays on them.
func createNetwork(ctx context.Context) error {
	for _, br := range []string{topology.TrunkBridge, topology.LANBridge} {
		if !linkExists(br) {
			if err := ip(ctx, "link", "add", br, "type", "bridge"); err != nil {
				return err
			}
		}
		quiet(br)
		if err := ip(ctx, "link", "set", br, "up"); err != nil {
			return err
		}
	}
	for _, vm := range topology.All() {
		for _, t := range []struct{ tap, br string }{
			{vm.TrunkTap(), topology.TrunkBridge},
			{vm.LANTap(), topology.LANBridge},
		} {
			if !linkExists(t.tap) {
				if err := ip(ctx, "tuntap", "add", "dev", t.tap, "mode", "tap"); err != nil {
					return err
				}
			}
			quiet(t.tap)
			if err := ip(ctx, "link", "set", t.tap, "master", t.br, "up"); err != nil {
				return err
			}
		}
	}
	return nil
}

// removeNetwork deletes the lab's taps and bridges that exist.
func removeNetwork(ctx context.Context) error {
	var names []string
	for _, vm := range topology.All() {
		names = append(names, vm.TrunkTap(), vm.LANTap())
	}
	names = append(names, topology.TrunkBridge, topology.LANBridge)
	var errs []error
	for _, n := range names {
		if linkExists(n) {
			if err := ip(ctx, "link", "del", n); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("remove network: %v", errs)
	}
	return nil
}
