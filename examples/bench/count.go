package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"syscall"
)

// countHosts is the size of the counting fleet.
const countHosts = 2

// count runs the fleet workloads once more on a small fleet whose sshd
// log at DEBUG1, and counts from the servers' side what each tool opened
// per host: connections ("Accepted publickey") and sessions that ran
// something (exec and subsystem requests: a command, a module, an sftp
// transfer). The timed fleets log at INFO, which costs nothing.
func (b *bench) count(ctx context.Context) error {
	b.logf("counting connections and execs on a fleet of %d (sshd LogLevel DEBUG1)", countHosts)
	f, hostsFile, a, err := b.startBenchFleet(ctx, countHosts, "DEBUG1")
	if err != nil {
		return err
	}
	defer f.Close()
	b.counts = map[string]Run{}
	measure := func(tool, workload string, fn func() error) error {
		before := f.logSizes()
		if err := fn(); err != nil {
			return err
		}
		serverCPU(f.pids()) // waits for the connections to end
		conns, execs := f.countSince(before)
		n := float64(f.Len())
		b.counts[tool+workload] = Run{Conns: float64(conns) / n, Execs: float64(execs) / n,
			CountSource: fmt.Sprintf("sshd DEBUG1 log, %d-host fleet", countHosts)}
		b.logf("counted %-8s %-32s %.1f connections, %.1f execs per host", tool, workload, float64(conns)/n, float64(execs)/n)
		return nil
	}
	steps := []struct {
		tool, workload string
		fn             func() error
	}{
		{ToolPush, W0Deliver, func() error { _, err := b.runPush(ctx, f, hostsFile, W0Deliver, "check", "", countHosts); return err }},
		{ToolPush, W2Converge, func() error { _, err := b.runPush(ctx, f, hostsFile, W2Converge, "apply", "", countHosts); return err }},
		{ToolPush, W1Check, func() error { _, err := b.runPush(ctx, f, hostsFile, W1Check, "check", "", countHosts); return err }},
		{ToolFloor, W1Check, func() error { _, err := b.runFloor(ctx, f, hostsFile, W1Check); return err }},
		{"reset", "", func() error { return f.forEach(ctx, f.reset) }},
		{ToolAnsible, W2Converge, func() error { _, err := b.runAnsible(ctx, f, a, W2Converge, false); return err }},
		{ToolAnsible, W1Check, func() error { _, err := b.runAnsible(ctx, f, a, W1Check, true); return err }},
	}
	for _, s := range steps {
		if s.tool == "reset" {
			if err := s.fn(); err != nil {
				return err
			}
			continue
		}
		if err := measure(s.tool, s.workload, s.fn); err != nil {
			return fmt.Errorf("%s %s: %w", s.tool, s.workload, err)
		}
	}
	return nil
}

func (f *benchFleet) logSizes() []int64 {
	out := make([]int64, f.Len())
	for i := range out {
		if st, err := os.Stat(f.LogPath(i)); err == nil {
			out[i] = st.Size()
		}
	}
	return out
}

// countSince counts connections and execs in the logs after the offsets.
func (f *benchFleet) countSince(offsets []int64) (conns, execs int) {
	for i := range f.Len() {
		b, err := os.ReadFile(f.LogPath(i))
		if err != nil || int64(len(b)) < offsets[i] {
			continue
		}
		for _, l := range strings.Split(string(b[offsets[i]:]), "\n") {
			switch {
			case strings.Contains(l, "Accepted publickey"):
				conns++
			case strings.Contains(l, "request exec reply"), strings.Contains(l, "request subsystem reply"):
				execs++
			}
		}
	}
	return conns, execs
}

// raiseLimits lifts the open-file limit to the hard limit (inherited by
// the children): 300 sshd sessions, Ansible's forks and ssh masters.
func raiseLimits(b *bench) {
	var l syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l) == nil && l.Cur < l.Max {
		l.Cur = l.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
			b.logf("raise open-file limit: %v", err)
		}
	}
}
