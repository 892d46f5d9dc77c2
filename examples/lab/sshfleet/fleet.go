// Package sshfleet starts real OpenSSH servers (Debian's /usr/sbin/sshd) for
// tests and benchmarks: each in its own network namespace, with its own
// address, host key and filesystem view of /var/lib/push, reachable from the
// machine through one bridge. Nothing is routed off the machine.
//
// A fleet needs root, sshd and the ip command. Everything it creates (sshd
// processes, namespaces, links, files) is removed by Close; a fleet left
// behind by a killed process is reclaimed by the next Start.
package sshfleet

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/kasmfleet/push/examples/lab/needs"
)

// MaxHosts is the largest fleet one Start can create (one /22 per fleet).
const MaxHosts = 1021

// Options change what every host of a fleet offers.
type Options struct {
	// Users are extra non-root accounts present on every host. Root login
	// is always allowed.
	Users []User
	// LogLevel is sshd's LogLevel; default INFO.
	LogLevel string
	// StartTimeout bounds the wait for all sshd to listen; default 60s.
	StartTimeout time.Duration
	// PrivateDirs are absolute directories of the machine that each host
	// sees as its own, initially empty, directory (created on the machine
	// if missing). Hosts share every other file with the machine except
	// /var/lib/push, /root and the fleet users' homes: list here what a
	// workload writes (e.g. "/etc/push").
	PrivateDirs []string
	// PrivateFiles are absolute files of the machine that each host sees
	// as its own, initially empty, file (created on the machine if
	// missing), e.g. a lock file under /run.
	PrivateFiles []string
}

// SudoMode says what sudo allows a User.
type SudoMode int

const (
	NoSudo         SudoMode = iota // not in sudoers
	SudoNoPassword                 // ALL=(ALL) NOPASSWD: ALL
	SudoPassword                   // ALL=(ALL) ALL, and the account has no usable password
	SudoRequireTTY                 // NOPASSWD, but sudoers says requiretty
)

// User is a non-root account on every host, authorized with the fleet key.
type User struct {
	Name string
	Sudo SudoMode
	// Shell is the login shell; default /bin/sh. "/bin/false" or
	// "/usr/sbin/nologin" make an account that runs no command.
	Shell string
}

// Host is one sshd of the fleet.
type Host struct {
	Name  string // "host-0", "host-1", ...
	Addr  string // IPv4 address, inside 198.18.0.0/15
	Port  int
	Netns string // network namespace name
	// HostKeyPath is the private ed25519 host key; the public half is at
	// HostKeyPath+".pub".
	HostKeyPath string
	HostKey     ssh.PublicKey
}

// HostPort is "Addr:Port".
func (h Host) HostPort() string { return net.JoinHostPort(h.Addr, fmt.Sprint(h.Port)) }

// Fleet is a set of running sshd. Its methods are safe for concurrent use.
type Fleet struct {
	opts     Options
	dir      string
	net      *network
	keyPath  string
	known    string
	authKeys string
	hosts    []Host
	accounts *accounts

	mu        sync.Mutex
	procs     []*sshdProc  // by host index; nil when stopped
	extra     []string     // extra sshd_config lines by host index
	helperDir []HelperDisk // by host index
}

// StartT starts a fleet for a test: it skips (or fails under
// PUSH_REQUIRE_ALL=1) without root or sshd, fails the test on error, and
// closes the fleet when the test ends.
func StartT(t testing.TB, n int, o Options) *Fleet {
	t.Helper()
	needs.Root(t)
	needs.Command(t, "sshd", "ip", "ssh-keygen")
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout(o)+time.Minute)
	defer cancel()
	f, err := Start(ctx, n, o)
	if err != nil {
		t.Fatalf("start ssh fleet of %d: %v", n, err)
	}
	t.Cleanup(func() {
		if err := f.Close(); err != nil {
			t.Errorf("close ssh fleet: %v", err)
		}
	})
	return f
}

func startTimeout(o Options) time.Duration {
	if o.StartTimeout > 0 {
		return o.StartTimeout
	}
	return 60 * time.Second
}

// Start creates n hosts and waits until every sshd listens.
func Start(ctx context.Context, n int, o Options) (_ *Fleet, err error) {
	if n < 1 || n > MaxHosts {
		return nil, fmt.Errorf("fleet size %d outside 1..%d", n, MaxHosts)
	}
	for _, d := range o.PrivateDirs {
		if !filepath.IsAbs(d) || filepath.Clean(d) == "/" {
			return nil, fmt.Errorf("private dir %q is not an absolute directory below /", d)
		}
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("private dir: %w", err)
		}
	}
	for _, p := range o.PrivateFiles {
		if !filepath.IsAbs(p) || filepath.Clean(p) == "/" {
			return nil, fmt.Errorf("private file %q is not an absolute path below /", p)
		}
		fh, err := os.OpenFile(p, os.O_CREATE|os.O_RDONLY, 0o644)
		if err != nil {
			return nil, fmt.Errorf("private file: %w", err)
		}
		fh.Close()
	}
	if os.Geteuid() != 0 {
		return nil, errors.New("ssh fleet needs root")
	}
	dir, err := os.MkdirTemp("", "push-sshfleet-")
	if err != nil {
		return nil, fmt.Errorf("fleet dir: %w", err)
	}
	// Non-root accounts must traverse to their homes inside it.
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, fmt.Errorf("fleet dir: %w", err)
	}
	f := &Fleet{opts: o, dir: dir, procs: make([]*sshdProc, n), extra: make([]string, n), helperDir: make([]HelperDisk, n)}
	defer func() {
		if err != nil {
			f.Close()
		}
	}()
	if err := f.writeClientKey(); err != nil {
		return nil, err
	}
	if f.accounts, err = writeAccounts(dir, o.Users); err != nil {
		return nil, err
	}
	if f.net, err = createNetwork(ctx, dir, n); err != nil {
		return nil, err
	}
	if err := f.prepareHosts(n); err != nil {
		return nil, err
	}
	if err := f.startAll(ctx); err != nil {
		return nil, err
	}
	return f, nil
}

func (f *Fleet) prepareHosts(n int) error {
	f.hosts = make([]Host, n)
	known := make([]byte, 0, n*120)
	for i := range n {
		hdir := f.hostDir(i)
		for _, d := range []string{hdir, filepath.Join(hdir, "varlibpush"), filepath.Join(hdir, "home")} {
			if err := os.MkdirAll(d, 0o755); err != nil {
				return fmt.Errorf("host %d dir: %w", i, err)
			}
		}
		if err := os.Mkdir(f.RootHome(i), 0o700); err != nil {
			return fmt.Errorf("host %d dir: %w", i, err)
		}
		for _, d := range f.opts.PrivateDirs {
			if err := os.MkdirAll(f.PrivateDir(i, d), 0o755); err != nil {
				return fmt.Errorf("host %d dir: %w", i, err)
			}
		}
		for _, p := range f.opts.PrivateFiles {
			file := f.PrivateDir(i, p)
			if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
				return fmt.Errorf("host %d file: %w", i, err)
			}
			if err := os.WriteFile(file, nil, 0o644); err != nil {
				return fmt.Errorf("host %d file: %w", i, err)
			}
		}
		keyPath := filepath.Join(hdir, "ssh_host_ed25519_key")
		pub, err := writeKeyPair(keyPath, fmt.Sprintf("push-sshfleet host-%d", i))
		if err != nil {
			return fmt.Errorf("host %d key: %w", i, err)
		}
		if err := f.accounts.makeHomes(filepath.Join(hdir, "home")); err != nil {
			return fmt.Errorf("host %d homes: %w", i, err)
		}
		f.hosts[i] = Host{
			Name:        fmt.Sprintf("host-%d", i),
			Addr:        f.net.hostAddr(i).String(),
			Port:        22,
			Netns:       f.net.netnsName(i),
			HostKeyPath: keyPath,
			HostKey:     pub,
		}
		known = append(known, f.hosts[i].Addr+" "...)
		known = append(known, ssh.MarshalAuthorizedKey(pub)...)
	}
	f.known = filepath.Join(f.dir, "known_hosts")
	return os.WriteFile(f.known, known, 0o644)
}

func (f *Fleet) hostDir(i int) string { return filepath.Join(f.dir, fmt.Sprintf("host-%d", i)) }

// Hosts returns every host, by index.
func (f *Fleet) Hosts() []Host { return append([]Host(nil), f.hosts...) }

// Host returns host i.
func (f *Fleet) Host(i int) Host { return f.hosts[i] }

// Len is the number of hosts.
func (f *Fleet) Len() int { return len(f.hosts) }

// Dir is the fleet's private directory (keys, configs, logs).
func (f *Fleet) Dir() string { return f.dir }

// KnownHostsPath is a known_hosts file listing every host's key.
func (f *Fleet) KnownHostsPath() string { return f.known }

// KeyPath is the unencrypted ed25519 client key every account accepts.
func (f *Fleet) KeyPath() string { return f.keyPath }

// LogPath is where host i's sshd writes its log.
func (f *Fleet) LogPath(i int) string { return filepath.Join(f.hostDir(i), "sshd.log") }

// HelperDir is the directory that host i sees as /var/lib/push.
func (f *Fleet) HelperDir(i int) string { return filepath.Join(f.hostDir(i), "varlibpush") }

// RootHome is the directory that host i sees as /root: hosts share the
// machine's files, but not root's home (nor its shell start-up files).
func (f *Fleet) RootHome(i int) string { return filepath.Join(f.hostDir(i), "root") }

// PrivateDir is the directory (or file) that host i sees as dir, one of
// Options.PrivateDirs (or PrivateFiles).
func (f *Fleet) PrivateDir(i int, dir string) string {
	return filepath.Join(f.hostDir(i), "private", strings.ReplaceAll(strings.Trim(dir, "/"), "/", "_"))
}

// HomeDir is the directory that host i sees as user's home.
func (f *Fleet) HomeDir(i int, user string) string {
	return filepath.Join(f.hostDir(i), "home", user)
}

// Close stops every sshd it started (and the sessions they forked),
// deletes the namespaces, links and files. It is safe to call twice.
func (f *Fleet) Close() error {
	var errs []error
	f.mu.Lock()
	procs := f.procs
	f.procs = make([]*sshdProc, len(procs))
	f.mu.Unlock()
	for _, p := range procs {
		if p != nil {
			p.cmd.Process.Signal(syscall.SIGSTOP)
		}
	}
	tree := processTree()
	for _, p := range procs {
		if p != nil {
			p.kill(descendants(tree, p.cmd.Process.Pid))
		}
	}
	for _, p := range procs {
		if p != nil {
			errs = append(errs, p.wait())
		}
	}
	if f.net != nil {
		errs = append(errs, f.net.destroy())
		f.net = nil
	}
	if f.dir != "" {
		errs = append(errs, os.RemoveAll(f.dir))
		f.dir = ""
	}
	return errors.Join(errs...)
}
