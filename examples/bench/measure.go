package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Measured is what running one controller process cost.
type Measured struct {
	Wall time.Duration
	CPU  time.Duration // user+system of the process and its reaped descendants
	// MaxRSS is the largest resident set of the process (or of one of its
	// reaped descendants), in bytes.
	MaxRSS int64
}

// runMeasured runs name with args as a child, its stdout returned, and
// measures its wall time and the CPU of its whole process tree. stderr
// goes to errLog.
func runMeasured(ctx context.Context, errLog *os.File, name string, args []string, env []string) (Measured, []byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = errLog
	cmd.Env = append(os.Environ(), env...)
	begin := time.Now()
	err := cmd.Run()
	m := Measured{Wall: time.Since(begin)}
	if cmd.ProcessState != nil {
		ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		m.CPU, m.MaxRSS = rusageCPU(ru), ru.Maxrss<<10 // Linux reports KiB
	}
	if err != nil {
		return m, out.Bytes(), fmt.Errorf("%s: %w", name, err)
	}
	return m, out.Bytes(), nil
}

func rusageCPU(ru *syscall.Rusage) time.Duration {
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// wrapResult is what `bench wrap` prints: the wrapped program's own wall
// time (without the teardown of what it left running) and exit status.
type wrapResult struct {
	Wall time.Duration `json:"wall_ns"`
	Exit int           `json:"exit"`
}

// wrap runs args[0] as a child subreaper: processes its tree leaves
// behind (ssh ControlPersist masters, which fork into the background)
// are re-parented here, stopped with SIGTERM once the program exits, and
// reaped, so that the CPU they used is counted in this process's rusage.
// The program's stdout goes to outPath.
func wrap(ctx context.Context, outPath string, args []string) error {
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("subreaper: %w", err)
	}
	out, err := os.Create(outPath)
	if err != nil {
		return err
	}
	defer out.Close()
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Stdout, cmd.Stderr = out, os.Stderr
	begin := time.Now()
	runErr := cmd.Run()
	res := wrapResult{Wall: time.Since(begin)}
	var ee *exec.ExitError
	switch {
	case errors.As(runErr, &ee):
		res.Exit = ee.ExitCode()
	case runErr != nil:
		return runErr
	}
	for _, pid := range childrenOf(os.Getpid()) {
		syscall.Kill(pid, syscall.SIGTERM)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if errors.Is(err, unix.ECHILD) {
			break
		}
		if pid == 0 {
			if time.Now().After(deadline) {
				for _, pid := range childrenOf(os.Getpid()) {
					syscall.Kill(pid, syscall.SIGKILL)
				}
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return json.NewEncoder(os.Stdout).Encode(res)
}

// childrenOf lists the processes whose parent is pid.
func childrenOf(pid int) []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		c, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		st, err := readStat(c)
		if err == nil && st.ppid == pid {
			out = append(out, c)
		}
	}
	return out
}

type procStat struct {
	ppid int
	// cpu is utime+stime+cutime+cstime: the process and the children it
	// reaped.
	cpu time.Duration
}

const clockTick = 10 * time.Millisecond // USER_HZ is 100 on Linux

func readStat(pid int) (procStat, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procStat{}, err
	}
	s := string(b)
	j := strings.LastIndexByte(s, ')')
	if j < 0 {
		return procStat{}, fmt.Errorf("stat of %d: malformed", pid)
	}
	f := strings.Fields(s[j+1:])
	// f[0] is field 3 (state); utime is field 14.
	if len(f) < 15 {
		return procStat{}, fmt.Errorf("stat of %d: short", pid)
	}
	var st procStat
	st.ppid, _ = strconv.Atoi(f[1])
	for _, k := range []int{11, 12, 13, 14} {
		v, _ := strconv.ParseInt(f[k], 10, 64)
		st.cpu += time.Duration(v) * clockTick
	}
	return st, nil
}

// serverCPU sums the CPU of the given sshd listeners and everything they
// reaped (connections, sessions, the programs sessions ran). It first
// waits (up to 10s) until no listener has a child left, so that every
// finished connection is counted.
func serverCPU(pids []int) time.Duration {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) && anyChildren(pids) {
		time.Sleep(50 * time.Millisecond)
	}
	var sum time.Duration
	for _, p := range pids {
		if st, err := readStat(p); err == nil {
			sum += st.cpu
		}
	}
	return sum
}

func anyChildren(pids []int) bool {
	for _, p := range pids {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", p, p))
		if err == nil && len(bytes.TrimSpace(b)) > 0 {
			return true
		}
	}
	return false
}
