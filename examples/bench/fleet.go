package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"

	"github.com/kasmfleet/push/examples/lab/sshfleet"
	"github.com/kasmfleet/push/playbooks"
	"github.com/kasmfleet/push/remote/helper/netcfg"
	"github.com/kasmfleet/push/remote/helper/state"
	"github.com/kasmfleet/push/remote/proto"
)

// The fleet workload: every host has a trunk NIC (a veth pair inside its
// namespace, left down with an address), systemd-networkd as its network
// configuration (an enabled unit and an admin .network file in private
// copies of /etc/systemd), and push's state folder of its own.
const (
	trunkNIC  = "trunk0"
	trunkPeer = "trunk0p"
	trunkAddr = "192.0.2.10/24" // documentation range, inside each namespace only
	lockPath  = "/run/push.lock"
	adminFile = "/etc/systemd/network/50-admin.network"
	wantsDir  = "/etc/systemd/system/multi-user.target.wants"
)

// privateDirs are the directories the helper (or Ansible) writes to,
// per host. /var/lib/push and /root are private in every sshfleet.
var privateDirs = []string{"/etc/systemd/network", "/etc/systemd/system"}

// benchFleet is an sshfleet prepared for workloads 1 and 2.
type benchFleet struct {
	*sshfleet.Fleet
	work string // our own files for this fleet (per-host lock files)
}

func startFleet(ctx context.Context, n int, logLevel string) (_ *benchFleet, err error) {
	// Starting sshd takes longer than sshfleet's default minute past a
	// few hundred hosts on a loaded machine.
	f, err := sshfleet.Start(ctx, n, sshfleet.Options{PrivateDirs: privateDirs, LogLevel: logLevel,
		StartTimeout: time.Minute + time.Duration(n)*300*time.Millisecond})
	if err != nil {
		return nil, fmt.Errorf("start fleet of %d: %w", n, err)
	}
	bf := &benchFleet{Fleet: f, work: filepath.Join(f.Dir(), "bench")}
	defer func() {
		if err != nil {
			f.Close()
		}
	}()
	if err := os.MkdirAll(bf.work, 0o755); err != nil {
		return nil, err
	}
	if err := bf.forEach(ctx, bf.prepare); err != nil {
		return nil, err
	}
	if err := bf.forEach(ctx, bf.reset); err != nil {
		return nil, err
	}
	return bf, nil
}

// forEach runs fn for every host, a few at a time.
func (f *benchFleet) forEach(ctx context.Context, fn func(ctx context.Context, i int) error) error {
	const workers = 8
	errs := make([]error, f.Len())
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range next {
				errs[i] = fn(ctx, i)
			}
		})
	}
	for i := range f.Len() {
		next <- i
	}
	close(next)
	wg.Wait()
	return errors.Join(errs...)
}

// prepare gives host i its trunk NIC, networkd files and a lock file of
// its own: the helper's host lock is /run/push.lock, and /run is shared
// by the fleet's hosts, so a per-host file is bind-mounted over it in the
// host's sshd mount namespace.
func (f *benchFleet) prepare(ctx context.Context, i int) error {
	h := f.Host(i)
	err := withNetns(h.Netns, func(nh *netlink.Handle) error {
		veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: trunkNIC}, PeerName: trunkPeer}
		if err := nh.LinkAdd(veth); err != nil {
			return fmt.Errorf("trunk veth: %w", err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("host %d: %w", i, err)
	}
	netDir := f.PrivateDir(i, "/etc/systemd/network")
	sysDir := f.PrivateDir(i, "/etc/systemd/system")
	if err := os.WriteFile(filepath.Join(netDir, filepath.Base(adminFile)),
		[]byte("# The admin's file: the management NIC.\n[Match]\nName=eth0\n\n[Network]\nDHCP=no\n"), 0o644); err != nil {
		return err
	}
	wants := filepath.Join(sysDir, "multi-user.target.wants")
	if err := os.MkdirAll(wants, 0o755); err != nil {
		return err
	}
	if err := os.Symlink("/lib/systemd/system/systemd-networkd.service", filepath.Join(wants, "systemd-networkd.service")); err != nil {
		return err
	}
	if _, err := os.Stat(lockPath); errors.Is(err, os.ErrNotExist) {
		if err := os.WriteFile(lockPath, nil, 0o644); err != nil && !errors.Is(err, os.ErrExist) {
			return err
		}
	}
	lock := filepath.Join(f.work, fmt.Sprintf("lock-%d", i))
	if err := os.WriteFile(lock, nil, 0o644); err != nil {
		return err
	}
	out, err := exec.CommandContext(ctx, "nsenter", "-t", fmt.Sprint(f.PID(i)), "-m",
		"mount", "--bind", lock, lockPath).CombinedOutput()
	if err != nil {
		return fmt.Errorf("host %d lock file: %w: %s", i, err, out)
	}
	return nil
}

// reset puts host i back where the converge workload starts: trunk down
// with an address, no push or Ansible files. The helper binary push
// delivered stays (the runs measure a fleet where it is delivered).
func (f *benchFleet) reset(ctx context.Context, i int) error {
	err := withNetns(f.Host(i).Netns, func(nh *netlink.Handle) error {
		l, err := nh.LinkByName(trunkNIC)
		if err != nil {
			return err
		}
		if err := nh.LinkSetDown(l); err != nil {
			return err
		}
		a, _ := netlink.ParseAddr(trunkAddr)
		if err := nh.AddrReplace(l, a); err != nil {
			return fmt.Errorf("trunk address: %w", err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("host %d: %w", i, err)
	}
	for _, p := range []string{
		filepath.Join(f.PrivateDir(i, "/etc/systemd/network"), filepath.Base(netcfg.NetworkdFile)),
		filepath.Join(f.PrivateDir(i, "/etc/systemd/system"), state.UnitName),
		filepath.Join(f.PrivateDir(i, "/etc/systemd/system"), "multi-user.target.wants", state.UnitName),
		filepath.Join(f.HelperDir(i), filepath.Base(state.Applied)),
		filepath.Join(f.HelperDir(i), filepath.Base(state.Link)),
	} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}

// spec is what host i should look like: its trunk up with no address,
// persisted, and push's boot unit and state record. No VLANs and no
// bridges: those need 8021q and Docker, which this machine lacks.
func spec(name string) proto.HostSpec {
	return proto.HostSpec{Agent: name, Trunk: &proto.Trunk{NIC: trunkNIC}}
}

// hosts is the fleet as push's runner sees it.
func (f *benchFleet) hosts() []playbooks.Host {
	var out []playbooks.Host
	for _, h := range f.Hosts() {
		out = append(out, playbooks.Host{Name: h.Name,
			Conn: playbooks.Connection{Address: h.Addr, Port: h.Port, User: "root",
				IdentityFile: f.KeyPath(), KnownHosts: f.KnownHostsPath()},
			Spec: spec(h.Name)})
	}
	return out
}

// pids are the fleet's sshd listeners.
func (f *benchFleet) pids() []int {
	out := make([]int, f.Len())
	for i := range out {
		out[i] = f.PID(i)
	}
	return out
}

// rxBytes sums the bytes the hosts' management NICs received.
func (f *benchFleet) rxBytes() (int64, error) {
	var sum int64
	for _, h := range f.Hosts() {
		err := withNetns(h.Netns, func(nh *netlink.Handle) error {
			l, err := nh.LinkByName("eth0")
			if err != nil {
				return err
			}
			if s := l.Attrs().Statistics; s != nil {
				sum += int64(s.RxBytes)
			}
			return nil
		})
		if err != nil {
			return 0, err
		}
	}
	return sum, nil
}

func withNetns(name string, fn func(*netlink.Handle) error) error {
	ns, err := netns.GetFromName(name)
	if err != nil {
		return fmt.Errorf("netns %s: %w", name, err)
	}
	defer ns.Close()
	nh, err := netlink.NewHandleAt(ns)
	if err != nil {
		return fmt.Errorf("netns %s: %w", name, err)
	}
	defer nh.Close()
	return fn(nh)
}

// trunkState reports whether host i's trunk is up and how many IPv4
// addresses it has.
func (f *benchFleet) trunkState(i int) (up bool, addrs int, err error) {
	err = withNetns(f.Host(i).Netns, func(nh *netlink.Handle) error {
		l, err := nh.LinkByName(trunkNIC)
		if err != nil {
			return err
		}
		up = l.Attrs().Flags&net.FlagUp != 0
		as, err := nh.AddrList(l, netlink.FAMILY_V4)
		addrs = len(as)
		return err
	})
	return up, addrs, err
}
