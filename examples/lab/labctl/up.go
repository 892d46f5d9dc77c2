package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/kasmfleet/push/examples/lab/labssh"
	"github.com/kasmfleet/push/examples/lab/labvm"
	"github.com/kasmfleet/push/examples/lab/topology"
)

// bootTimeout bounds the wait for every VM to answer SSH and Docker.
const bootTimeout = 6 * time.Minute

func up(ctx context.Context, c config) error {
	if running, healthy := labRunning(ctx, c); running {
		if healthy == nil {
			fmt.Println("lab: already running and healthy; nothing to do (make lab-down to stop it)")
			return nil
		}
		fmt.Printf("lab: running but unhealthy (%v); restarting it\n", healthy)
	}
	if err := down(ctx, c); err != nil {
		return fmt.Errorf("clean stale lab: %w", err)
	}
	if err := os.MkdirAll(c.dir.VMDir(), 0o755); err != nil {
		return fmt.Errorf("state folder: %w", err)
	}

	t0 := time.Now()
	bctx, cancel := context.WithCancel(ctx)
	defer cancel()
	vcsimBuilt := make(chan error, 1)
	go func() { vcsimBuilt <- buildVCSim(bctx, c) }()
	whoami := filepath.Join(string(c.dir), "bin", "lab-whoami")
	whoamiBuilt := make(chan error, 1)
	go func() { whoamiBuilt <- buildWhoami(bctx, c, whoami) }()
	imgs, err := buildImages(ctx, c)
	if err != nil {
		return err
	}
	for _, name := range topology.Images(c.vms) {
		fmt.Printf("lab: image %s ready: %s\n", name, imgs[name])
	}
	fmt.Printf("lab: images ready in %.1fs\n", time.Since(t0).Seconds())

	if err := <-whoamiBuilt; err != nil {
		return err
	}
	if err := writeIdentities(c.dir, whoami); err != nil {
		return err
	}
	if err := createNetwork(ctx); err != nil {
		return err
	}
	t1 := time.Now()
	for _, vm := range c.vms {
		img := labvm.Image(imgs[vm.ImageName()])
		if err := labvm.CreateOverlay(ctx, img, c.dir, vm); err != nil {
			return err
		}
		if _, err := labvm.Boot(ctx, img, c.dir, vm); err != nil {
			return err
		}
	}
	fmt.Printf("lab: %d VMs booting (consoles: %s)\n", len(c.vms), c.dir.Console("*"))

	if err := <-vcsimBuilt; err != nil {
		return err
	}
	url, err := startVCSim(ctx, c)
	if err != nil {
		return err
	}
	fmt.Printf("lab: vcsim serving %s\n", url)

	if err := waitAll(ctx, c.dir, c.vms, t1); err != nil {
		return fmt.Errorf("%w\nlab: consoles are in %s; make lab-down cleans up", err, filepath.Dir(c.dir.Console("x")))
	}
	boot := time.Since(t1).Seconds()
	st := &topology.State{
		Version:   topology.StateVersion,
		Started:   time.Now().UTC(),
		Image:     imgs[topology.Bookworm],
		Images:    imgs,
		Agents:    topology.Agents(),
		BareMetal: bareMetal(c.vms),
		Gateway:   topology.Gateway(),
		VCSimURL:  url,
		Inventory: filepath.Join(c.labRoot, "inventory.hcl"),
		BootSecs:  boot,
	}
	if err := c.dir.WriteState(st); err != nil {
		return err
	}
	fmt.Printf("lab: up; all VMs answer SSH and Docker %.1fs after boot (total %.1fs)\n", boot, time.Since(t0).Seconds())
	printAccess(c.dir, c.vms)
	return nil
}

// bareMetal are the bare-metal agents among vms.
func bareMetal(vms []topology.VM) []topology.VM {
	var out []topology.VM
	for _, v := range vms {
		if v.BareMetal {
			out = append(out, v)
		}
	}
	return out
}

// buildImages builds (or finds in the cache) every image the lab's VMs
// boot, in parallel, and returns each one's folder by name.
func buildImages(ctx context.Context, c config) (map[string]string, error) {
	names := topology.Images(c.vms)
	out := make(map[string]string, len(names))
	errs := make([]error, len(names))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			img, err := buildImage(ctx, c, name)
			mu.Lock()
			defer mu.Unlock()
			out[name], errs[i] = string(img), err
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// buildImage runs the image recipe for one variant; its last stdout line
// is the image folder.
func buildImage(ctx context.Context, c config, variant string) (labvm.Image, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(c.labRoot, "image", "build.sh"), variant)
	cmd.Stderr = os.Stderr
	// Interrupted, the whole build goes (mmdebstrap and its children).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) }
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("build image %s: %w", variant, err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return labvm.Image(lines[len(lines)-1]), nil
}

// waitAll waits for every VM to be ready, printing each as it comes.
func waitAll(ctx context.Context, dir topology.Dir, vms []topology.VM, since time.Time) error {
	ctx, cancel := context.WithTimeout(ctx, bootTimeout)
	defer cancel()
	client := labssh.Client{KeyPath: dir.Key(), KnownHostsPath: dir.KnownHosts()}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	for _, vm := range vms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := labvm.WaitReady(ctx, client, vm, "")
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			fmt.Printf("lab: %-13s ready after %5.1fs (ssh %s)\n", vm.Name, time.Since(since).Seconds(), vm.SSHAddr())
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		return fmt.Errorf("lab not ready: %v", errs)
	}
	return nil
}

// labRunning reports whether a lab is running (state and every process),
// and if so whether every VM answers now.
func labRunning(ctx context.Context, c config) (bool, error) {
	if _, err := c.dir.ReadState(); err != nil {
		return false, nil
	}
	for _, vm := range c.vms {
		if _, ok := labvm.Running(c.dir, vm.Name); !ok {
			return false, nil
		}
	}
	if _, ok := vcsimPID(c.dir); !ok {
		return true, fmt.Errorf("vcsim is not running")
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	client := labssh.Client{KeyPath: c.dir.Key(), KnownHostsPath: c.dir.KnownHosts()}
	for _, vm := range c.vms {
		if _, err := client.As(vm.User).Run(ctx, vm.SSHAddr(), labvm.ReadyCommand(vm)); err != nil {
			return true, fmt.Errorf("%s: %w", vm.Name, err)
		}
	}
	return true, nil
}

func printAccess(dir topology.Dir, vms []topology.VM) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "lab: log in with\n")
	for _, vm := range vms {
		fmt.Fprintf(&b, "  ssh -i %s -o UserKnownHostsFile=%s -p %d %s@127.0.0.1   # %s\n",
			dir.Key(), dir.KnownHosts(), vm.SSHPort, vm.LoginUser(), vm.Name)
	}
	os.Stdout.Write(b.Bytes())
}
