package sshfleet

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// sshdProc is one running sshd listener started by the fleet.
type sshdProc struct {
	cmd   *exec.Cmd
	ready chan struct{} // closed when sshd logs that it listens
	done  chan struct{} // closed when it exited and was reaped
	tail  *logTail
}

func (f *Fleet) writeConfig(i int) (string, error) {
	h := f.hosts[i]
	level := f.opts.LogLevel
	if level == "" {
		level = "INFO"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "ListenAddress %s:%d\n", h.Addr, h.Port)
	fmt.Fprintf(&b, "HostKey %s\n", h.HostKeyPath)
	fmt.Fprintf(&b, "AuthorizedKeysFile %s\n", f.authKeys)
	b.WriteString(`PidFile none
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
UseDNS no
MaxStartups 4000
MaxSessions 1000
LoginGraceTime 60
AllowTcpForwarding yes
PrintMotd no
PrintLastLog no
Subsystem sftp /usr/lib/openssh/sftp-server
`)
	fmt.Fprintf(&b, "LogLevel %s\n", level)
	f.mu.Lock()
	b.WriteString(f.extra[i])
	f.mu.Unlock()
	p := filepath.Join(f.hostDir(i), "sshd_config")
	return p, os.WriteFile(p, []byte(b.String()), 0o644)
}

// mounts lists the bind mounts that give host i its own view of the
// machine's files.
func (f *Fleet) mounts(i int) []mount {
	mounts := append([]mount(nil), f.accounts.mounts...)
	f.mu.Lock()
	disk := f.helperDir[i]
	f.mu.Unlock()
	helper := mount{src: f.HelperDir(i), dst: "/var/lib/push", readonly: disk.ReadOnly}
	if disk.Size > 0 {
		helper.fstype, helper.data = "tmpfs", fmt.Sprintf("size=%d,mode=0755", disk.Size)
	}
	mounts = append(mounts, helper, mount{src: f.RootHome(i), dst: "/root"})
	for _, d := range append(f.opts.PrivateDirs, f.opts.PrivateFiles...) {
		mounts = append(mounts, mount{src: f.PrivateDir(i, d), dst: d})
	}
	if len(f.accounts.users) > 0 {
		mounts = append(mounts, mount{src: filepath.Join(f.hostDir(i), "home"), dst: f.accounts.home})
	}
	return mounts
}

// HelperDisk is what a host's /var/lib/push sits on: by default a
// directory of its own (Fleet.HelperDir).
type HelperDisk struct {
	// Size, when > 0, makes it a tmpfs of that many bytes: a disk that
	// fills up. Fleet.HelperDir does not show its files.
	Size int64
	// ReadOnly mounts it read-only.
	ReadOnly bool
}

// SetHelperDisk restarts host i's sshd with /var/lib/push on d.
func (f *Fleet) SetHelperDisk(ctx context.Context, i int, d HelperDisk) error {
	f.mu.Lock()
	f.helperDir[i] = d
	extra := f.extra[i]
	f.mu.Unlock()
	return f.Restart(ctx, i, extra)
}

func (f *Fleet) launch(ctx context.Context, i int) (*sshdProc, error) {
	cfg, err := f.writeConfig(i)
	if err != nil {
		return nil, fmt.Errorf("host %d config: %w", i, err)
	}
	logf, err := os.OpenFile(f.LogPath(i), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("host %d log: %w", i, err)
	}
	cmd := exec.Command("/usr/sbin/sshd", "-D", "-e", "-f", cfg)
	// If this process dies without Close, the kernel kills the sshd.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.Stdout = logf
	stderr, err := cmd.StderrPipe()
	if err != nil {
		logf.Close()
		return nil, err
	}
	p := &sshdProc{cmd: cmd, ready: make(chan struct{}), done: make(chan struct{}), tail: &logTail{}}
	started := make(chan error, 1)
	onDisposableThread(func() {
		// The thread enters the host's network namespace and a mount
		// namespace of its own, and sshd is forked from it. The thread is
		// discarded when this function returns, which must not happen
		// before sshd exits: the parent-death signal follows the thread.
		if err := enterHost(f.hosts[i].Netns, f.mounts(i)); err != nil {
			started <- fmt.Errorf("host %d: %w", i, err)
			return
		}
		if err := cmd.Start(); err != nil {
			started <- fmt.Errorf("host %d sshd: %w", i, err)
			return
		}
		started <- nil
		p.copyLog(stderr, logf)
	})
	if err := <-started; err != nil {
		logf.Close()
		return nil, err
	}
	select {
	case <-p.ready:
		return p, nil
	case <-p.done:
		return nil, fmt.Errorf("host %d sshd exited: %s", i, p.tail.String())
	case <-ctx.Done():
		p.kill(nil)
		return nil, fmt.Errorf("host %d sshd not listening: %w: %s", i, ctx.Err(), p.tail.String())
	}
}

// onDisposableThread runs fn in a new goroutine locked to an OS thread that
// the runtime ends when fn returns, so fn may change the thread's
// namespaces. It avoids the main thread, which the runtime cannot end (it
// would keep its namespaces, and with them the host's, alive).
func onDisposableThread(fn func()) {
	go func() {
		runtime.LockOSThread()
		if unix.Gettid() == unix.Getpid() {
			onDisposableThread(fn)
			runtime.UnlockOSThread()
			return
		}
		fn()
		// Not unlocked: the thread goes with the goroutine.
	}()
}

// enterHost moves the calling thread (locked) into a network namespace and
// a new mount namespace with the given bind mounts.
func enterHost(netnsName string, mounts []mount) error {
	ns, err := netns.GetFromName(netnsName)
	if err != nil {
		return fmt.Errorf("netns %s: %w", netnsName, err)
	}
	defer ns.Close()
	if err := unix.Setns(int(ns), unix.CLONE_NEWNET); err != nil {
		return fmt.Errorf("enter netns %s: %w", netnsName, err)
	}
	if err := unix.Unshare(unix.CLONE_NEWNS); err != nil {
		return fmt.Errorf("new mount namespace: %w", err)
	}
	// Receive the machine's unmounts (deleted netns), send it nothing.
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_SLAVE, ""); err != nil {
		return fmt.Errorf("mount namespace: %w", err)
	}
	for _, m := range mounts {
		var err error
		if m.fstype != "" {
			err = unix.Mount(m.fstype, m.dst, m.fstype, 0, m.data)
		} else {
			err = unix.Mount(m.src, m.dst, "", unix.MS_BIND, "")
		}
		if err == nil && m.readonly {
			err = unix.Mount("", m.dst, "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY, "")
		}
		if err != nil {
			return fmt.Errorf("mount %s on %s: %w", m.src+m.fstype, m.dst, err)
		}
	}
	return nil
}

func (p *sshdProc) copyLog(r io.Reader, logf *os.File) {
	defer func() {
		p.cmd.Wait()
		logf.Close()
		close(p.done)
	}()
	sc := bufio.NewScanner(r)
	readySeen := false
	for sc.Scan() {
		line := sc.Text()
		logf.WriteString(line + "\n")
		p.tail.add(line)
		if !readySeen && strings.HasPrefix(line, "Server listening on") {
			readySeen = true
			close(p.ready)
		}
	}
	io.Copy(io.Discard, r)
}

func (f *Fleet) startAll(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, startTimeout(f.opts))
	defer cancel()
	for _, d := range []string{"/run/sshd", "/var/lib/push"} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	const workers = 8
	errs := make([]error, len(f.hosts))
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range next {
				p, err := f.launch(ctx, i)
				errs[i] = err
				f.mu.Lock()
				f.procs[i] = p
				f.mu.Unlock()
			}
		})
	}
	for i := range f.hosts {
		next <- i
	}
	close(next)
	wg.Wait()
	return errors.Join(errs...)
}

// Start starts host i's sshd again after Stop.
func (f *Fleet) Start(ctx context.Context, i int) error {
	f.mu.Lock()
	running := f.procs[i] != nil
	f.mu.Unlock()
	if running {
		return fmt.Errorf("host %d already running", i)
	}
	ctx, cancel := context.WithTimeout(ctx, startTimeout(f.opts))
	defer cancel()
	p, err := f.launch(ctx, i)
	if err != nil {
		return err
	}
	f.mu.Lock()
	f.procs[i] = p
	f.mu.Unlock()
	return nil
}

// Stop kills host i's sshd and every session it forked, as if the host
// went away; its address stays reachable but refuses connections.
func (f *Fleet) Stop(i int) error {
	f.mu.Lock()
	p := f.procs[i]
	f.procs[i] = nil
	f.mu.Unlock()
	if p == nil {
		return fmt.Errorf("host %d not running", i)
	}
	return p.stop()
}

// Restart stops host i and starts it with extra appended to its
// sshd_config (replacing earlier extra lines), e.g. "HostCertificate F\n".
func (f *Fleet) Restart(ctx context.Context, i int, extra string) error {
	f.mu.Lock()
	f.extra[i] = extra
	f.mu.Unlock()
	if err := f.Stop(i); err != nil {
		return err
	}
	return f.Start(ctx, i)
}

// PID is host i's sshd listener process id, or 0 when stopped.
func (f *Fleet) PID(i int) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.procs[i] == nil {
		return 0
	}
	return f.procs[i].cmd.Process.Pid
}

// Pause stops host i's sshd listener (SIGSTOP): new connections are
// accepted by the kernel but never answered. Sessions already open go on.
func (f *Fleet) Pause(i int) error { return f.signal(i, syscall.SIGSTOP) }

// Resume undoes Pause.
func (f *Fleet) Resume(i int) error { return f.signal(i, syscall.SIGCONT) }

// LinkDown silently drops every packet to and from host i.
func (f *Fleet) LinkDown(i int) error { return f.net.setLink(i, false) }

// LinkUp undoes LinkDown and waits (up to 5s) until the host's address
// answers TCP again (a connection or a refusal).
func (f *Fleet) LinkUp(i int) error {
	if err := f.net.setLink(i, true); err != nil {
		return err
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", f.hosts[i].HostPort(), 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		if errors.Is(err, syscall.ECONNREFUSED) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("host %d unreachable after link up: %w", i, err)
		}
	}
}

func (f *Fleet) signal(i int, sig syscall.Signal) error {
	f.mu.Lock()
	p := f.procs[i]
	f.mu.Unlock()
	if p == nil {
		return fmt.Errorf("host %d not running", i)
	}
	return p.cmd.Process.Signal(sig)
}

// stop kills the listener and everything below it. Callers stopping many
// SIGSTOP them first and share one process table.
func (p *sshdProc) stop() error {
	p.cmd.Process.Signal(syscall.SIGSTOP) // no new children while we look
	p.kill(descendants(processTree(), p.cmd.Process.Pid))
	return p.wait()
}

func (p *sshdProc) wait() error {
	select {
	case <-p.done:
		return nil
	case <-time.After(10 * time.Second):
		return fmt.Errorf("sshd %d did not exit", p.cmd.Process.Pid)
	}
}

func (p *sshdProc) kill(children []int) {
	for _, c := range children {
		syscall.Kill(c, syscall.SIGKILL)
	}
	p.cmd.Process.Kill()
}

// processTree maps each process id to its children's.
func processTree() map[int][]int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	kids := map[int][]int{}
	for _, e := range entries {
		c, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(b)
		j := strings.LastIndexByte(s, ')')
		if j < 0 {
			continue
		}
		fl := strings.Fields(s[j+1:])
		if len(fl) < 2 {
			continue
		}
		if pp, err := strconv.Atoi(fl[1]); err == nil {
			kids[pp] = append(kids[pp], c)
		}
	}
	return kids
}

// descendants lists the processes below pid, children first.
func descendants(kids map[int][]int, pid int) []int {
	var out []int
	queue := []int{pid}
	for len(queue) > 0 {
		q := queue[0]
		queue = queue[1:]
		for _, c := range kids[q] {
			out = append(out, c)
			queue = append(queue, c)
		}
	}
	return out
}

// logTail keeps the last lines of a log for error messages.
type logTail struct {
	mu    sync.Mutex
	lines []string
}

func (t *logTail) add(line string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lines = append(t.lines, line)
	if len(t.lines) > 8 {
		t.lines = t.lines[1:]
	}
}

func (t *logTail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.Join(t.lines, "; ")
}
