package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/kasmfleet/push/playbooks"
	"github.com/kasmfleet/push/remote/helperbin"
	"github.com/kasmfleet/push/remote/proto"
	pushssh "github.com/kasmfleet/push/remote/ssh"
	"github.com/kasmfleet/push/runner/sshhosts"
)

// Ways to deliver the helper on first contact (`bench delivery`).
const (
	// DeliverExec is push's own path: one exec finds no helper and names
	// the architecture and gzip, one exec receives the gzipped helper on
	// stdin (gzip -d, sha256 checked, chmod, rename), one exec runs it.
	DeliverExec = "exec"
	// DeliverSFTP is github.com/pkg/sftp, as the design first named it:
	// stat the content-addressed path, upload to a temporary name with
	// concurrent writes, fsync (fsync@openssh.com), chmod, rename
	// (posix-rename@openssh.com), then one exec that checks the sha256 and
	// runs the helper. sftp cannot decompress on the host, so it sends
	// the helper uncompressed.
	DeliverSFTP = "sftp"
)

// delivery compares first contact by exec and by sftp on fleets of each
// size: the two alternate `repeat` times on the same fleet, every host's
// helper folder emptied before each run; the median of each is kept.
func delivery(ctx context.Context, sizes []int, repeat int, out string) error {
	b := &bench{out: out, repeat: repeat}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	b.self = self
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	if b.log, err = os.Create(filepath.Join(out, "delivery.log")); err != nil {
		return err
	}
	defer b.log.Close()
	raiseLimits(b)
	m := machine()
	var rows []string
	for _, n := range sizes {
		b.logf("delivery: starting a fleet of %d sshd", n)
		f, err := startFleet(ctx, n, "")
		if err != nil {
			return err
		}
		hostsFile := filepath.Join(f.work, "hosts.json")
		if err := writeHosts(f, hostsFile); err != nil {
			f.Close()
			return err
		}
		runs := map[string][]Run{}
		for range repeat {
			for _, how := range []string{DeliverExec, DeliverSFTP} {
				if err := f.forEach(ctx, f.dropHelper); err != nil {
					f.Close()
					return err
				}
				r, err := b.runDeliver(ctx, f, hostsFile, how)
				if err != nil {
					f.Close()
					return err
				}
				b.logf("delivery %-5s n=%-4d wall %6.2fs  controller CPU %6.2fs  server CPU %6.2fs  %.2f MB to each host",
					how, n, r.Wall.Seconds(), r.ControllerCPU.Seconds(), r.ServerCPU.Seconds(), float64(r.BytesToHosts)/float64(n)/1e6)
				runs[how] = append(runs[how], r)
			}
		}
		f.Close()
		e, s := median(runs[DeliverExec]), median(runs[DeliverSFTP])
		for _, r := range []Run{e, s} {
			rows = append(rows, fmt.Sprintf("| %d | %s | %.2f MB | %s | %s | %s | %.1f | %s |", n, r.Tool,
				float64(r.BytesToHosts)/float64(n)/1e6, seconds(r.Wall), perHostMS(r.ControllerCPU, n), perHostMS(r.ServerCPU, n), r.Execs, r.Note))
		}
		rows = append(rows, fmt.Sprintf("| %d | sftp/exec | %.2f× | %.2f× | %.2f× | %.2f× | | |", n,
			float64(s.BytesToHosts)/float64(e.BytesToHosts), s.Wall.Seconds()/e.Wall.Seconds(),
			s.ControllerCPU.Seconds()/e.ControllerCPU.Seconds(), s.ServerCPU.Seconds()/e.ServerCPU.Seconds()))
	}
	table := fmt.Sprintf("First contact, exec against sftp (%s, %d CPUs, %s, load %s)\n\n"+
		"| hosts | delivery | bytes to each host | wall | controller CPU per host | server CPU per host | sessions per host | runs |\n"+
		"|---|---|---|---|---|---|---|---|\n%s\n", m.Date, m.CPUs, m.Model, m.Load, strings.Join(rows, "\n"))
	fmt.Print(table)
	return os.WriteFile(filepath.Join(out, "delivery.md"), []byte(table), 0o644)
}

func perHostMS(d time.Duration, n int) string {
	return fmt.Sprintf("%.1f ms", d.Seconds()*1000/float64(n))
}

// dropHelper empties host i's helper folder: the next run is a first
// contact.
func (f *benchFleet) dropHelper(_ context.Context, i int) error {
	return os.RemoveAll(filepath.Join(f.HelperDir(i), "bin"))
}

func (b *bench) runDeliver(ctx context.Context, f *benchFleet, hostsFile, how string) (Run, error) {
	r := Run{Workload: W0Deliver, Hosts: f.Len(), Tool: how}
	var cr childResult
	r, err := b.fleetRun(f, r, func() (Measured, error) {
		m, out, err := runMeasured(ctx, b.log, b.self, []string{"deliver", "-hosts", hostsFile, "-how", how, "-forks", fmt.Sprint(f.Len())}, nil)
		if err == nil {
			err = json.Unmarshal(out, &cr)
		}
		return m, err
	})
	if err == nil && (cr.Failed > 0 || cr.Done != f.Len()) {
		err = fmt.Errorf("%d of %d hosts failed: %s", cr.Failed, f.Len(), strings.Join(cr.Errors, "; "))
	}
	if err != nil {
		return r, fmt.Errorf("deliver by %s on %d hosts: %w", how, f.Len(), err)
	}
	r.Execs, r.Uploaded = float64(cr.Stats.Execs)/float64(f.Len()), cr.Stats.BytesUploaded
	return r, nil
}

// deliverChild delivers the embedded helper for this machine's
// architecture to every host and runs it once (verb version).
func deliverChild(ctx context.Context, hostsPath, how string, forks int) error {
	hosts, err := readHosts(hostsPath)
	if err != nil || len(hosts) == 0 {
		return fmt.Errorf("deliver hosts: %v", err)
	}
	began := time.Now()
	var one func(context.Context, playbooks.Host) (int, error) // sessions
	stats := func() pushssh.Stats { return pushssh.Stats{} }
	switch how {
	case DeliverExec:
		tr, err := sshhosts.New(pushssh.Options{SSHConfigPath: "none", AgentSocket: "none",
			DialTimeout: 30 * time.Second, HandshakeTimeout: 30 * time.Second,
			Getenv: func(string) string { return "" }})
		if err != nil {
			return err
		}
		defer tr.Close()
		stats = tr.Stats
		one = func(ctx context.Context, h playbooks.Host) (int, error) {
			res, _, err := tr.Helper(ctx, h, proto.Request{Version: proto.Version, Verb: proto.VerbVersion}, func(string) {})
			if err == nil && res.Helper.SHA256 == "" {
				err = errors.New("the helper did not say its sha256")
			}
			return 0, err
		}
	case DeliverSFTP:
		s, err := newSFTPDeliverer(hosts[0])
		if err != nil {
			return err
		}
		one = s.deliver
	default:
		return fmt.Errorf("deliver: -how %q, want exec or sftp", how)
	}
	res := childResult{Hosts: len(hosts)}
	var mu sync.Mutex
	sem := make(chan struct{}, max(forks, 1))
	var wg sync.WaitGroup
	for _, h := range hosts {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			sessions, err := one(ctx, h)
			mu.Lock()
			defer mu.Unlock()
			res.Stats.Execs += int64(sessions)
			if err != nil {
				res.Failed++
				if len(res.Errors) < 5 {
					res.Errors = append(res.Errors, fmt.Sprintf("%s: %v", h.Name, err))
				}
				return
			}
			res.Done++
		})
	}
	wg.Wait()
	if how == DeliverExec {
		res.Stats = stats()
	}
	res.Duration = time.Since(began)
	return json.NewEncoder(os.Stdout).Encode(res)
}

// sftpDeliverer delivers with github.com/pkg/sftp.
type sftpDeliverer struct {
	cfg    *ssh.ClientConfig
	helper helperbin.Binary
}

func newSFTPDeliverer(h playbooks.Host) (*sftpDeliverer, error) {
	key, err := os.ReadFile(h.Conn.IdentityFile)
	if err != nil {
		return nil, err
	}
	signer, err := ssh.ParsePrivateKey(key)
	if err != nil {
		return nil, err
	}
	hk, err := knownhosts.New(h.Conn.KnownHosts)
	if err != nil {
		return nil, err
	}
	helper, err := helperbin.For("amd64")
	if err != nil {
		return nil, err
	}
	return &sftpDeliverer{helper: helper, cfg: &ssh.ClientConfig{User: "root",
		Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)}, HostKeyCallback: hk, Timeout: 30 * time.Second}}, nil
}

func (s *sftpDeliverer) deliver(ctx context.Context, h playbooks.Host) (int, error) {
	addr := net.JoinHostPort(h.Conn.Address, fmt.Sprint(h.Conn.Port))
	nc, err := (&net.Dialer{Timeout: s.cfg.Timeout}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return 0, err
	}
	sc, chans, reqs, err := ssh.NewClientConn(nc, addr, s.cfg)
	if err != nil {
		nc.Close()
		return 0, err
	}
	c := ssh.NewClient(sc, chans, reqs)
	defer c.Close()
	fc, err := sftp.NewClient(c, sftp.UseConcurrentWrites(true))
	if err != nil {
		return 1, fmt.Errorf("sftp: %w", err)
	}
	defer fc.Close()
	const dir = "/var/lib/push/bin"
	path := dir + "/push-helper-" + s.helper.SHA256
	if _, err := fc.Stat(path); err == nil {
		return 1, errors.New("the helper is already there")
	} else if !errors.Is(err, fs.ErrNotExist) {
		return 1, fmt.Errorf("stat: %w", err)
	}
	if err := fc.MkdirAll(dir); err != nil {
		return 1, fmt.Errorf("mkdir: %w", err)
	}
	tmp := dir + "/.push-helper-" + s.helper.SHA256 + ".tmp"
	f, err := fc.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC)
	if err != nil {
		return 1, fmt.Errorf("create: %w", err)
	}
	if _, err := f.ReadFrom(bytes.NewReader(s.helper.Data)); err != nil {
		f.Close()
		return 1, fmt.Errorf("upload: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return 1, fmt.Errorf("fsync: %w", err)
	}
	if err := f.Chmod(0o755); err != nil {
		f.Close()
		return 1, fmt.Errorf("chmod: %w", err)
	}
	if err := f.Close(); err != nil {
		return 1, fmt.Errorf("close: %w", err)
	}
	if err := fc.PosixRename(tmp, path); err != nil {
		return 1, fmt.Errorf("rename: %w", err)
	}
	sess, err := c.NewSession()
	if err != nil {
		return 1, err
	}
	defer sess.Close()
	sess.Stdin = strings.NewReader(fmt.Sprintf(`{"version":%d,"verb":"version"}`, proto.Version))
	cmd := fmt.Sprintf(`p=%s; s=$(sha256sum "$p"); [ "${s%%%% *}" = %s ] || { echo "sha256 $s" >&2; exit 1; }; exec "$p"`, path, s.helper.SHA256)
	out, err := sess.Output(cmd)
	if err != nil {
		return 2, fmt.Errorf("check and run: %w", err)
	}
	var res proto.Result
	if err := json.Unmarshal(out, &res); err != nil || res.Helper.SHA256 != s.helper.SHA256 {
		return 2, fmt.Errorf("helper answered %.80q (%v)", out, err)
	}
	return 2, nil
}
