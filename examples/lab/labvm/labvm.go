// Package labvm boots and stops one lab VM: a qemu process (TCG) with its
// own overlay disk, identity disk, management port and two taps.
package labvm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/kasmfleet/push/examples/lab/topology"
)

// Memory and CPUs of every lab VM.
const (
	MemoryMiB = 1024
	CPUs      = 1
)

// Image is the folder the image build made: vmlinuz, initrd.gz, base.qcow2.
type Image string

func (i Image) file(name string) string { return filepath.Join(string(i), name) }

// CmdLine is the kernel command line of every lab VM.
// AppArmor is off: the image has no apparmor_parser, which Docker would
// need to run containers on a kernel with AppArmor enabled.
const CmdLine = "console=ttyS0 root=/dev/vda rw net.ifnames=0 apparmor=0 panic=-1 quiet systemd.show_status=auto"

// Args is the qemu command line of vm.
func Args(img Image, dir topology.Dir, vm topology.VM) []string {
	return []string{
		"-name", vm.Name,
		"-accel", "tcg,tb-size=256", "-cpu", "qemu64,-svm",
		"-m", strconv.Itoa(MemoryMiB), "-smp", strconv.Itoa(CPUs),
		"-nodefaults", "-no-user-config", "-display", "none",
		"-kernel", img.file("vmlinuz"), "-initrd", img.file("initrd.gz"),
		"-append", CmdLine,
		"-netdev", fmt.Sprintf("user,id=mgmt,restrict=on,hostfwd=tcp:127.0.0.1:%d-:22", vm.SSHPort),
		"-device", "virtio-net-pci,netdev=mgmt,mac=" + vm.MgmtMAC + ",addr=0x3",
		"-netdev", "tap,id=trunk,ifname=" + vm.TrunkTap() + ",script=no,downscript=no",
		"-device", "virtio-net-pci,netdev=trunk,mac=" + vm.TrunkMAC + ",addr=0x4",
		"-netdev", "tap,id=lan,ifname=" + vm.LANTap() + ",script=no,downscript=no",
		"-device", "virtio-net-pci,netdev=lan,mac=" + vm.LANMAC + ",addr=0x5",
		"-drive", "file=" + dir.Overlay(vm.Name) + ",if=none,id=root,format=qcow2,cache=writeback,discard=unmap",
		"-device", "virtio-blk-pci,drive=root,addr=0x6",
		"-drive", "file=" + dir.Identity(vm.Name) + ",if=none,id=identity,format=raw,readonly=on",
		"-device", "virtio-blk-pci,drive=identity,addr=0x7",
		"-object", "rng-random,id=rng,filename=/dev/urandom",
		"-device", "virtio-rng-pci,rng=rng,addr=0x8",
		"-serial", "file:" + dir.Console(vm.Name),
		"-daemonize", "-pidfile", dir.PID(vm.Name),
	}
}

// CreateOverlay makes vm's root disk: a qcow2 overlay on the image.
func CreateOverlay(ctx context.Context, img Image, dir topology.Dir, vm topology.VM) error {
	_ = os.Remove(dir.Overlay(vm.Name))
	out, err := exec.CommandContext(ctx, "qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2",
		"-b", img.file("base.qcow2"), dir.Overlay(vm.Name)).CombinedOutput()
	if err != nil {
		return fmt.Errorf("overlay for %s: %w: %s", vm.Name, err, bytes.TrimSpace(out))
	}
	return nil
}

// Boot starts vm's qemu in the background; it returns once qemu has
// started (not when the guest is ready).
func Boot(ctx context.Context, img Image, dir topology.Dir, vm topology.VM) (int, error) {
	if pid, ok := Running(dir, vm.Name); ok {
		return pid, fmt.Errorf("boot %s: already running as pid %d", vm.Name, pid)
	}
	_ = os.Remove(dir.PID(vm.Name))
	cmd := exec.CommandContext(ctx, "qemu-system-x86_64", Args(img, dir, vm)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("boot %s: %w: %s", vm.Name, err, bytes.TrimSpace(out))
	}
	pid, ok := Running(dir, vm.Name)
	if !ok {
		return 0, fmt.Errorf("boot %s: qemu exited at once; see %s", vm.Name, dir.Console(vm.Name))
	}
	return pid, nil
}

// Running reports the pid of vm's qemu when it is alive. A pid file whose
// process is gone, or is not this VM's qemu, counts as not running. When
// the pid file is gone (its state folder was removed under a running lab)
// the qemu that was told to write it is found by its command line, so that
// down can still stop it.
func Running(dir topology.Dir, name string) (int, bool) {
	if pid, ok := fromPIDFile(dir.PID(name)); ok && IsProcess(pid, "qemu-system", "-name\x00"+name+"\x00") {
		return pid, true
	}
	return FindProcess("qemu-system", "-name\x00"+name+"\x00", "-pidfile\x00"+dir.PID(name)+"\x00")
}

func fromPIDFile(path string) (int, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid, err == nil && pid > 0
}

// FindProcess is the first process whose command line contains every one
// of parts.
func FindProcess(parts ...string) (int, bool) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, false
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err == nil && pid != os.Getpid() && IsProcess(pid, parts...) {
			return pid, true
		}
	}
	return 0, false
}

// IsProcess reports whether pid is alive and its command line contains
// every one of parts (arguments are NUL-separated).
func IsProcess(pid int, parts ...string) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return false
	}
	for _, p := range parts {
		if !bytes.Contains(b, []byte(p)) {
			return false
		}
	}
	return true
}

// Stop kills vm's qemu (like pulling the plug) and waits for it to exit.
func Stop(ctx context.Context, dir topology.Dir, name string) error {
	pid, ok := Running(dir, name)
	if !ok {
		_ = os.Remove(dir.PID(name))
		return nil
	}
	if err := Kill(ctx, pid); err != nil {
		return fmt.Errorf("stop %s: %w", name, err)
	}
	_ = os.Remove(dir.PID(name))
	return nil
}

// Kill sends SIGTERM to pid, then SIGKILL after 20 s, and waits for it to
// go. On SIGTERM qemu stops the guest at once but still writes its disk
// caches out, so the guest sees a power cut and the overlay stays sound.
func Kill(ctx context.Context, pid int) error {
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		if errors.Is(err, syscall.ESRCH) {
			return nil
		}
		return fmt.Errorf("kill %d: %w", pid, err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			return nil
		}
		if time.Now().After(deadline) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			deadline = time.Now().Add(time.Hour)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for pid %d: %w", pid, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}
