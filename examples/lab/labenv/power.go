package labenv

import (
	"context"
	"fmt"
	"strings"

	"github.com/kasmfleet/push/examples/lab/labvm"
)

// Reboot reboots the VM through systemd and waits until it is back with a
// new boot id and answers SSH and Docker.
func (l *Lab) Reboot(ctx context.Context, agent string) error {
	vm, err := l.vm(agent)
	if err != nil {
		return err
	}
	c := l.ssh.As(vm.User)
	boot, err := c.Run(ctx, vm.SSHAddr(), "cat /proc/sys/kernel/random/boot_id")
	if err != nil {
		return fmt.Errorf("reboot %s: %w", agent, err)
	}
	// Detached, so the SSH command returns before the connection drops.
	l.conns.forget(vm.SSHAddr())
	if _, err := c.Run(ctx, vm.SSHAddr(), "nohup sh -c 'sleep 1; systemctl reboot' >/dev/null 2>&1 &"); err != nil {
		return fmt.Errorf("reboot %s: %w", agent, err)
	}
	if _, err := labvm.WaitReady(ctx, l.ssh, vm, strings.TrimSpace(boot)); err != nil {
		return fmt.Errorf("reboot %s: %w", agent, err)
	}
	return nil
}

// Stop kills the VM's qemu, like pulling its power cord. Its disk stays.
func (l *Lab) Stop(ctx context.Context, agent string) error {
	vm, err := l.vm(agent)
	if err != nil {
		return err
	}
	l.conns.forget(vm.SSHAddr())
	return labvm.Stop(ctx, l.dir, agent)
}

// Start boots a stopped VM from its disk and waits until it is ready.
func (l *Lab) Start(ctx context.Context, agent string) error {
	vm, err := l.vm(agent)
	if err != nil {
		return err
	}
	if _, err := labvm.Boot(ctx, labvm.Image(l.state.ImageOf(vm)), l.dir, vm); err != nil {
		return err
	}
	if _, err := labvm.WaitReady(ctx, l.ssh, vm, ""); err != nil {
		return fmt.Errorf("start %s: %w", agent, err)
	}
	return nil
}

// ProbeImage makes (once per VM boot disk) and names the lab's probe
// container image on agent: static busybox, entrypoint /bin/busybox, e.g.
// docker run --rm --network z_vlan150 IMAGE wget -q -O - http://192.0.2.1:8080/
// (the VMs cannot pull images).
func (l *Lab) ProbeImage(ctx context.Context, agent string) (string, error) {
	out, err := l.Run(ctx, agent, "lab-probe-image")
	if err != nil {
		return "", fmt.Errorf("probe image on %s: %w", agent, err)
	}
	return strings.TrimSpace(out), nil
}
