package labvm

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/kasmfleet/push/examples/lab/labssh"
	"github.com/kasmfleet/push/examples/lab/topology"
)

// ReadyCommand is what must succeed over SSH for vm to count as ready: an
// agent's Docker answers; the gateway's source-IP endpoint answers on each
// of its addresses. It prints the boot id first.
func ReadyCommand(vm topology.VM) string {
	check := "cat /proc/sys/kernel/random/boot_id && docker version --format '{{.Server.Version}}'"
	if vm.Role == topology.RoleGateway {
		var gets []string
		for _, a := range []string{topology.GatewayLANAddr, topology.GatewayVLAN150, topology.GatewayVLAN160,
			"[" + topology.GatewayVLAN150v6 + "]", "[" + topology.GatewayVLAN160v6 + "]"} {
			// busybox 1.35's wget crashes on -T; timeout(1) bounds it instead.
			gets = append(gets, fmt.Sprintf("timeout 5 busybox wget -q -O /dev/null http://%s:%d/", a, topology.WhoAmIPort))
		}
		check = "cat /proc/sys/kernel/random/boot_id && " + strings.Join(gets, " && ")
	}
	return check
}

// WaitReady polls vm until ReadyCommand succeeds and, when notBoot is set,
// the VM reports another boot id (it has rebooted). It returns the boot id.
func WaitReady(ctx context.Context, c labssh.Client, vm topology.VM, notBoot string) (string, error) {
	c = c.As(vm.User)
	var last error
	for {
		attempt, cancel := context.WithTimeout(ctx, 20*time.Second)
		out, err := c.Run(attempt, vm.SSHAddr(), ReadyCommand(vm))
		cancel()
		if err == nil {
			boot, _, _ := strings.Cut(out, "\n")
			if notBoot == "" || boot != notBoot {
				return boot, nil
			}
			err = fmt.Errorf("still the old boot %s", boot)
		}
		last = err
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("%s not ready: %w (last: %v)", vm.Name, ctx.Err(), last)
		case <-time.After(time.Second):
		}
	}
}
