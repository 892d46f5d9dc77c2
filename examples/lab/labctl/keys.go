package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/kasmfleet/push/examples/lab/identity"
	"github.com/kasmfleet/push/examples/lab/labssh"
	"github.com/kasmfleet/push/examples/lab/topology"
)

// writeIdentities makes the lab key, a host key and an identity disk per
// VM, and the known_hosts file that trusts exactly those host keys.
func writeIdentities(dir topology.Dir, whoamiPath string) error {
	whoami, err := os.ReadFile(whoamiPath)
	if err != nil {
		return fmt.Errorf("gateway's lab-whoami: %w", err)
	}
	key, pub, err := labssh.NewKey("push-lab")
	if err != nil {
		return err
	}
	if err := os.WriteFile(dir.Key(), key, 0o600); err != nil {
		return fmt.Errorf("write lab key: %w", err)
	}
	if err := os.WriteFile(dir.Key()+".pub", pub, 0o644); err != nil {
		return fmt.Errorf("write lab key: %w", err)
	}
	var known []string
	for _, vm := range topology.All() {
		hostKey, hostPub, err := labssh.NewKey("root@" + vm.Name)
		if err != nil {
			return err
		}
		tar, err := identity.Tar(identity.Input{VM: vm, HostKeyPEM: hostKey, HostKeyPub: hostPub, AuthorizedKey: pub, Whoami: whoami})
		if err != nil {
			return err
		}
		if err := os.WriteFile(dir.Identity(vm.Name), tar, 0o600); err != nil {
			return fmt.Errorf("write identity of %s: %w", vm.Name, err)
		}
		// As seen through the host's port, and on the LAN (through lab-gw
		// as a jump host).
		for _, name := range []string{vm.KnownHostsName(), vm.LANAddr} {
			line, err := labssh.KnownHostsLine(name, hostPub)
			if err != nil {
				return err
			}
			known = append(known, line)
		}
	}
	if err := os.WriteFile(dir.KnownHosts(), []byte(strings.Join(known, "\n")+"\n"), 0o644); err != nil {
		return fmt.Errorf("write known_hosts: %w", err)
	}
	return nil
}
