package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/kasmfleet/push/examples/lab/labvm"
	"github.com/kasmfleet/push/examples/lab/topology"
)

// buildVCSim builds the simulator (examples/lab/vcsim) into c.vcsim. up
// runs it while the images build: from a cold Go cache it is most of a
// minute of compiling govmomi.
func buildVCSim(ctx context.Context, c config) error {
	return goBuild(ctx, filepath.Join(c.labRoot, "vcsim"), c.vcsim)
}

// startVCSim starts the simulator detached from labctl and waits until it
// serves; it returns its URL.
func startVCSim(ctx context.Context, c config) (string, error) {
	if c.vcsim == "" {
		return "", fmt.Errorf("no vcsim binary given (-vcsim)")
	}
	_ = os.Remove(c.dir.VCSimReady())
	logf, err := os.Create(c.dir.VCSimLog())
	if err != nil {
		return "", fmt.Errorf("vcsim log: %w", err)
	}
	defer logf.Close()
	cmd := exec.Command(c.vcsim, "-state", string(c.dir), "-listen", topology.VCSimAddr)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("start vcsim: %w", err)
	}
	pid := cmd.Process.Pid
	if err := os.WriteFile(c.dir.VCSimPID(), []byte(strconv.Itoa(pid)+"\n"), 0o644); err != nil {
		return "", fmt.Errorf("write vcsim pid: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	for {
		if b, err := os.ReadFile(c.dir.VCSimReady()); err == nil {
			_ = cmd.Process.Release()
			return strings.TrimSpace(string(b)), nil
		}
		select {
		case err := <-exited:
			log, _ := os.ReadFile(c.dir.VCSimLog())
			return "", fmt.Errorf("vcsim exited (%v): %s", err, strings.TrimSpace(string(log)))
		case <-ctx.Done():
			return "", fmt.Errorf("wait for vcsim: %w", ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// vcsimPID is the simulator's pid when it is alive.
// Without its pid file it is found by its command line (-state DIR).
func vcsimPID(dir topology.Dir) (int, bool) {
	parts := []string{"vcsim", "-state\x00" + string(dir) + "\x00"}
	if b, err := os.ReadFile(dir.VCSimPID()); err == nil {
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 0 && labvm.IsProcess(pid, parts...) {
			return pid, true
		}
	}
	return labvm.FindProcess(parts...)
}

func stopVCSim(ctx context.Context, dir topology.Dir) error {
	if pid, ok := vcsimPID(dir); ok {
		if err := labvm.Kill(ctx, pid); err != nil {
			return fmt.Errorf("stop vcsim: %w", err)
		}
	}
	_ = os.Remove(dir.VCSimPID())
	_ = os.Remove(dir.VCSimReady())
	return nil
}
