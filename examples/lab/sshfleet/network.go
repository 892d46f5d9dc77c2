package sshfleet

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// Every fleet takes one /22 of the benchmark range 198.18.0.0/15 (a slot):
// the bridge has .1, host i has .2+i.
const (
	stateDir  = "/run/push-sshfleet"
	slotCount = 128
	slotBits  = 10
)

type network struct {
	slot    int
	n       int
	bridge  string
	state   string // slot state file
	created []bool // netns i exists
}

type slotState struct {
	PID       int    `json:"pid"`
	StartTime string `json:"start_time"`
	Dir       string `json:"dir"`
}

func slotBase(slot int) net.IP {
	ip := make(net.IP, 4)
	binary.BigEndian.PutUint32(ip, uint32(198)<<24|uint32(18)<<16|uint32(slot)<<slotBits)
	return ip
}

func (nw *network) hostAddr(i int) net.IP {
	ip := slotBase(nw.slot)
	binary.BigEndian.PutUint32(ip, binary.BigEndian.Uint32(ip)+uint32(2+i))
	return ip
}

func (nw *network) netnsName(i int) string { return fmt.Sprintf("push-fleet-%d-%d", nw.slot, i) }
func (nw *network) vethName(i int) string  { return fmt.Sprintf("pf%dh%d", nw.slot, i) }

// createNetwork claims a free slot (reclaiming those of dead processes),
// then creates the bridge, n namespaces and their veth pairs.
func createNetwork(ctx context.Context, dir string, n int) (*network, error) {
	if err := os.MkdirAll(stateDir, 0o755); err != nil {
		return nil, fmt.Errorf("fleet state dir: %w", err)
	}
	nw, err := claimSlot(dir, n)
	if err != nil {
		return nil, err
	}
	if err := nw.build(ctx); err != nil {
		return nil, errors.Join(err, nw.destroy())
	}
	return nw, nil
}

func claimSlot(dir string, n int) (*network, error) {
	lock, err := os.OpenFile(filepath.Join(stateDir, "lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("fleet lock: %w", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return nil, fmt.Errorf("fleet lock: %w", err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	used, err := usedAddrs()
	if err != nil {
		return nil, err
	}
	for slot := range slotCount {
		nw := &network{slot: slot, n: n, bridge: fmt.Sprintf("pushfl%d", slot),
			state: filepath.Join(stateDir, fmt.Sprintf("slot-%d.json", slot)), created: make([]bool, n)}
		if st, err := readSlot(nw.state); err == nil {
			if processAlive(st.PID, st.StartTime) {
				continue
			}
			if err := reclaim(nw, st); err != nil {
				continue
			}
		}
		if _, err := netlink.LinkByName(nw.bridge); err == nil {
			continue // someone else's, or ours from a crash without state
		}
		if used[slot] {
			continue
		}
		st := slotState{PID: os.Getpid(), StartTime: procStartTime(os.Getpid()), Dir: dir}
		b, _ := json.Marshal(st)
		if err := os.WriteFile(nw.state, b, 0o644); err != nil {
			return nil, fmt.Errorf("fleet slot: %w", err)
		}
		return nw, nil
	}
	return nil, errors.New("no free fleet slot in 198.18.0.0/15")
}

// usedAddrs reports slots whose /22 overlaps an address already on the machine.
func usedAddrs() (map[int]bool, error) {
	addrs, err := retryDump(func() ([]netlink.Addr, error) { return netlink.AddrList(nil, netlink.FAMILY_V4) })
	if err != nil {
		return nil, fmt.Errorf("list addresses: %w", err)
	}
	used := map[int]bool{}
	_, bench, _ := net.ParseCIDR("198.18.0.0/15")
	for _, a := range addrs {
		if bench.Contains(a.IP) {
			used[int(binary.BigEndian.Uint32(a.IP.To4())-binary.BigEndian.Uint32(bench.IP))>>slotBits] = true
		}
	}
	return used, nil
}

func readSlot(path string) (slotState, error) {
	var st slotState
	b, err := os.ReadFile(path)
	if err != nil {
		return st, err
	}
	return st, json.Unmarshal(b, &st)
}

// reclaim removes what a dead process's fleet left behind. Its sshd died
// with it (parent-death signal).
func reclaim(nw *network, st slotState) error {
	entries, _ := os.ReadDir("/run/netns")
	prefix := fmt.Sprintf("push-fleet-%d-", nw.slot)
	var names []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix) {
			names = append(names, e.Name())
		}
	}
	if err := deleteNetns(context.Background(), names); err != nil {
		return err
	}
	if err := deleteVeths(nw.slot); err != nil {
		return err
	}
	if l, err := netlink.LinkByName(nw.bridge); err == nil {
		if err := netlink.LinkDel(l); err != nil {
			return err
		}
	}
	if strings.HasPrefix(filepath.Base(st.Dir), "push-sshfleet-") {
		os.RemoveAll(st.Dir)
	}
	return os.Remove(nw.state)
}

func (nw *network) build(ctx context.Context) error {
	br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: nw.bridge}}
	if err := netlink.LinkAdd(br); err != nil {
		return fmt.Errorf("bridge %s: %w", nw.bridge, err)
	}
	addr := &netlink.Addr{IPNet: &net.IPNet{IP: nw.bridgeAddr(), Mask: net.CIDRMask(32-slotBits, 32)}}
	if err := netlink.AddrAdd(br, addr); err != nil {
		return fmt.Errorf("bridge %s address: %w", nw.bridge, err)
	}
	if err := netlink.LinkSetUp(br); err != nil {
		return fmt.Errorf("bridge %s up: %w", nw.bridge, err)
	}
	if err := raiseNeighbourLimits(); err != nil {
		return err
	}
	names := make([]string, nw.n)
	for i := range nw.n {
		names[i] = nw.netnsName(i)
	}
	if err := runIPBatch(ctx, "netns add ", names); err != nil {
		return fmt.Errorf("create namespaces: %w", err)
	}
	for i := range nw.created {
		nw.created[i] = true
	}
	return nw.addVeths(ctx, br.Index)
}

func (nw *network) bridgeAddr() net.IP {
	ip := slotBase(nw.slot)
	ip[3]++
	return ip
}

func (nw *network) addVeths(ctx context.Context, bridgeIndex int) error {
	const workers = 4
	errs := make([]error, nw.n)
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range next {
				errs[i] = nw.addVeth(i, bridgeIndex)
			}
		})
	}
	for i := range nw.n {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	return errors.Join(errs...)
}

func (nw *network) addVeth(i, bridgeIndex int) error {
	ns, err := netns.GetFromName(nw.netnsName(i))
	if err != nil {
		return fmt.Errorf("netns %s: %w", nw.netnsName(i), err)
	}
	defer ns.Close()
	veth := &netlink.Veth{
		LinkAttrs:     netlink.LinkAttrs{Name: nw.vethName(i), MasterIndex: bridgeIndex, Flags: net.FlagUp},
		PeerName:      "eth0",
		PeerNamespace: netlink.NsFd(int(ns)),
	}
	if err := netlink.LinkAdd(veth); err != nil {
		return fmt.Errorf("veth %s: %w", nw.vethName(i), err)
	}
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		return fmt.Errorf("netns %s: %w", nw.netnsName(i), err)
	}
	defer h.Close()
	for _, name := range []string{"lo", "eth0"} {
		l, err := h.LinkByName(name)
		if err != nil {
			return fmt.Errorf("netns %s %s: %w", nw.netnsName(i), name, err)
		}
		if name == "eth0" {
			a := &netlink.Addr{IPNet: &net.IPNet{IP: nw.hostAddr(i), Mask: net.CIDRMask(32-slotBits, 32)}}
			if err := h.AddrAdd(l, a); err != nil {
				return fmt.Errorf("netns %s address: %w", nw.netnsName(i), err)
			}
		}
		if err := h.LinkSetUp(l); err != nil {
			return fmt.Errorf("netns %s %s up: %w", nw.netnsName(i), name, err)
		}
	}
	return nil
}

// setLink sets the machine's end of host i's veth up or down; down cuts the
// host off without telling either side.
func (nw *network) setLink(i int, up bool) error {
	l, err := netlink.LinkByName(nw.vethName(i))
	if err != nil {
		return fmt.Errorf("veth %s: %w", nw.vethName(i), err)
	}
	if up {
		return netlink.LinkSetUp(l)
	}
	return netlink.LinkSetDown(l)
}

func (nw *network) destroy() error {
	var names []string
	var errs []error
	for i, ok := range nw.created {
		if ok {
			names = append(names, nw.netnsName(i))
		}
	}
	if err := deleteNetns(context.Background(), names); err != nil {
		errs = append(errs, fmt.Errorf("delete namespaces: %w", err))
	}
	if err := deleteVeths(nw.slot); err != nil {
		errs = append(errs, err)
	}
	if l, err := netlink.LinkByName(nw.bridge); err == nil {
		if err := netlink.LinkDel(l); err != nil {
			errs = append(errs, fmt.Errorf("delete bridge %s: %w", nw.bridge, err))
		}
	}
	if err := os.Remove(nw.state); err != nil && !errors.Is(err, os.ErrNotExist) {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// deleteVeths makes sure a slot's veth pairs are gone, so that the slot can
// be reused. The kernel deletes them with their namespaces, in batches and
// soon (much faster than deleting each); what is left after a while is
// deleted one by one.
func deleteVeths(slot int) error {
	prefix := fmt.Sprintf("pf%dh", slot)
	deadline := time.Now().Add(20 * time.Second)
	for {
		links, err := retryDump(netlink.LinkList)
		if err != nil {
			return fmt.Errorf("list links: %w", err)
		}
		var left []netlink.Link
		for _, l := range links {
			if strings.HasPrefix(l.Attrs().Name, prefix) && l.Type() == "veth" {
				left = append(left, l)
			}
		}
		if len(left) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			var errs []error
			for _, l := range left {
				if err := netlink.LinkDel(l); err != nil {
					errs = append(errs, fmt.Errorf("delete %s: %w", l.Attrs().Name, err))
				}
			}
			return errors.Join(errs...)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func deleteNetns(ctx context.Context, names []string) error {
	if len(names) == 0 {
		return nil
	}
	return runIPBatch(ctx, "netns del ", names)
}

// runIPBatch runs one `ip` process for many commands.
func runIPBatch(ctx context.Context, prefix string, args []string) error {
	var in strings.Builder
	for _, a := range args {
		in.WriteString(prefix + a + "\n")
	}
	cmd := exec.CommandContext(ctx, "ip", "-force", "-batch", "-")
	cmd.Stdin = strings.NewReader(in.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("ip -batch: %w: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

// raiseNeighbourLimits makes room in the machine's ARP table for large
// fleets (the default hard limit is 1024 entries for the whole machine).
func raiseNeighbourLimits() error {
	for name, min := range map[string]int{"gc_thresh1": 1024, "gc_thresh2": 8192, "gc_thresh3": 16384} {
		p := "/proc/sys/net/ipv4/neigh/default/" + name
		b, err := os.ReadFile(p)
		if err != nil {
			return fmt.Errorf("neighbour limits: %w", err)
		}
		var cur int
		fmt.Sscan(string(b), &cur)
		if cur < min {
			if err := os.WriteFile(p, []byte(fmt.Sprint(min)), 0o644); err != nil {
				return fmt.Errorf("neighbour limits: %w", err)
			}
		}
	}
	return nil
}

// processAlive reports whether pid still runs and is the same process
// (same start time) that wrote a state file.
func processAlive(pid int, start string) bool {
	return pid > 0 && start != "" && procStartTime(pid) == start
}

func procStartTime(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	s := string(b)
	// The command name (field 2) may hold spaces; fields restart after ')'.
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return ""
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return ""
	}
	return f[19] // field 22, starttime
}

// retryDump retries a netlink dump that the kernel interrupted because the
// table changed meanwhile (other fleets come and go).
func retryDump[T any](dump func() ([]T, error)) ([]T, error) {
	for range 50 {
		out, err := dump()
		if !errors.Is(err, netlink.ErrDumpInterrupted) {
			return out, err
		}
		time.Sleep(20 * time.Millisecond)
	}
	return dump()
}
