package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

func parseSizes(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 || n > 1000 {
			return nil, fmt.Errorf("fleet size %q: want 1..1000", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// runAll is `bench run`: the fleet sizes, then the lab.
func runAll(ctx context.Context, sizes []int, lab, out, strategy string, ansibleMax, repeat int, checkOnly bool, forks int) error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("bench needs root (network namespaces, sshd fleets)")
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	logf, err := os.Create(filepath.Join(out, "bench.log"))
	if err != nil {
		return err
	}
	defer logf.Close()
	b := &bench{self: self, out: out, log: logf, strategy: strategy, ansibleMax: ansibleMax, repeat: repeat, checkOnly: checkOnly, forks: forks, res: Results{Machine: machine()}}
	raiseLimits(b)
	largest := 0
	for _, n := range sizes {
		largest = max(largest, n)
	}
	var errs []string
	if len(sizes) > 0 && !checkOnly && ansibleMax > 0 {
		if err := b.count(ctx); err != nil {
			errs = append(errs, "counting: "+err.Error())
		}
	}
	for _, n := range sizes {
		if err := b.fleetSize(ctx, n, n == largest); err != nil {
			b.logf("fleet of %d: %v", n, err)
			errs = append(errs, fmt.Sprintf("fleet of %d: %v", n, err))
		}
		if err := b.res.Write(out); err != nil {
			return err
		}
	}
	if err := b.lab(ctx, lab); err != nil {
		b.logf("lab: %v", err)
		errs = append(errs, "lab: "+err.Error())
	}
	b.res.Notes = append(b.res.Notes, b.notes()...)
	if err := b.res.Write(out); err != nil {
		return err
	}
	fmt.Print(b.res.Markdown())
	fmt.Printf("\nWritten to %s/results.md and results.json.\n", out)
	if len(errs) > 0 {
		return fmt.Errorf("%d part(s) failed:\n  %s", len(errs), strings.Join(errs, "\n  "))
	}
	return nil
}

func machine() Machine {
	m := Machine{CPUs: runtime.NumCPU(), Date: time.Now().UTC().Format(time.RFC3339)}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.Model = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		f := strings.Fields(string(b))
		if len(f) >= 3 {
			m.Load = strings.Join(f[:3], " ")
		}
	}
	return m
}
