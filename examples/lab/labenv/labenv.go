// Package labenv gives tests the running lab (make lab-up): its agents,
// gateway, vSphere simulator, and root shells on its VMs. Require skips the
// test when no lab runs (fails it in CI) and serialises test processes that
// use the lab with a file lock.
package labenv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/kasmfleet/push/examples/lab/labssh"
	"github.com/kasmfleet/push/examples/lab/labvm"
	"github.com/kasmfleet/push/examples/lab/needs"
	"github.com/kasmfleet/push/examples/lab/topology"
)

// Agent is one agent VM of the lab.
type Agent struct {
	Name      string // kasm-agent-N, also its VM's name in vcsim
	SSHAddr   string // 127.0.0.1:220N
	TrunkMAC  string // MAC of eth1, the trunk NIC (vcsim gives a NIC on kasm-trunk this MAC)
	LANAddr   string // 198.51.100.1N on eth2
	ExtraAddr string // 198.51.100.11N on eth2, for SNAT
	NetConfig string // ifupdown, systemd-networkd, netplan or NetworkManager
	// User logs in with the lab key: root, or admin (sudo) where root
	// does not log in (kasm-agent-4). Run, Reset and Reboot handle both.
	User string
	// BareMetal: no VM in vcsim (bare_metal = true in push's inventory).
	BareMetal bool
	Image     string // the image it boots: topology.Bookworm or topology.Trixie
}

// Gateway is lab-gw, which answers http://ADDR:8080/ with the caller's IP.
type Gateway struct {
	Name       string
	SSHAddr    string
	LANAddr    string // 198.51.100.1
	VLANAddrs  map[int]string
	VLANAddrs6 map[int]string // the IPv6 ones
	WhoAmIPort int
}

// Lab is the running lab, as lab.json describes it.
type Lab struct {
	dir   topology.Dir
	root  string // examples/lab
	state *topology.State
	ssh   labssh.Client
	conns *conns // Run's kept connections
}

// The lab lock is held by the process from the first Require until it
// exits: flock(2) locks belong to an open file, so one per process.
var (
	lockOnce sync.Once
	lockErr  error
	lockFile *os.File // referenced so that it is never collected (and closed)
)

// Require returns the running lab, or skips t (fails it in CI) when there
// is none. It blocks until no other test process holds the lab. Every
// lab test is slow: with -short it is skipped.
func Require(t testing.TB) *Lab {
	t.Helper()
	needs.NotShort(t)
	needs.Root(t)
	dir, root, err := stateDir()
	if err != nil {
		needs.Skip(t, fmt.Sprintf("lab not running: make lab-up (%v)", err))
	}
	if _, err := os.Stat(dir.LabJSON()); err != nil {
		needs.Skip(t, fmt.Sprintf("lab not running: make lab-up (%v)", err))
	}
	if err := holdLock(dir.Lock(), func() { t.Logf("waiting for %s: another test process uses the lab", dir.Lock()) }); err != nil {
		t.Fatalf("lab lock: %v", err)
	}
	// Read the state only with the lock held: whoever held it may have
	// restarted the lab.
	l, err := open(dir, root)
	if err != nil {
		needs.Skip(t, fmt.Sprintf("lab not running: make lab-up (%v)", err))
	}
	for _, vm := range topology.All() {
		if _, ok := labvm.Running(l.dir, vm.Name); !ok {
			needs.Skip(t, fmt.Sprintf("lab not running: %s is down (make lab-down && make lab-up)", vm.Name))
		}
	}
	return l
}

// holdLock takes the lab lock once per process and keeps it; waiting is
// called first if another process holds it.
func holdLock(path string, waiting func()) error {
	lockOnce.Do(func() { lockFile, lockErr = lock(path, waiting) })
	return lockErr
}

// lock takes the lab's exclusive lock. The lock lasts as long as the
// returned file stays open: until the process exits.
func lock(path string, waiting func()) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open lock: %w", err)
	}
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		waiting()
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("flock %s: %w", path, err)
	}
	return f, nil
}

// Open reads the lab's state without taking the lock.
func Open() (*Lab, error) {
	dir, root, err := stateDir()
	if err != nil {
		return nil, err
	}
	return open(dir, root)
}

// stateDir is $PUSH_LAB_STATE or examples/lab/state of this module.
func stateDir() (topology.Dir, string, error) {
	root, err := LabRoot()
	if err != nil {
		return "", "", err
	}
	dir := topology.Dir(filepath.Join(root, "state"))
	if s := os.Getenv("PUSH_LAB_STATE"); s != "" {
		dir = topology.Dir(s)
	}
	return dir, root, nil
}

func open(dir topology.Dir, root string) (*Lab, error) {
	st, err := dir.ReadState()
	if err != nil {
		return nil, err
	}
	return &Lab{
		dir:   dir,
		root:  root,
		state: st,
		ssh:   labssh.Client{KeyPath: dir.Key(), KnownHostsPath: dir.KnownHosts()},
		conns: newConns(),
	}, nil
}

// LabRoot finds examples/lab of this module, from the working directory up.
func LabRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find lab: %w", err)
	}
	for d := wd; ; d = filepath.Dir(d) {
		b, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil && strings.Contains(string(b), "module github.com/kasmfleet/push\n") {
			return filepath.Join(d, "examples", "lab"), nil
		}
		if d == filepath.Dir(d) {
			return "", errors.New("find lab: not inside the push module")
		}
	}
}

// Agents are the lab's agents that are VMs in vcsim too, kasm-agent-1..3
// (Debian 12, root logs in): the agents of inventory.hcl.
func (l *Lab) Agents() []Agent { return agents(l.state.Agents) }

// BareMetalAgents are the lab's agents that are no VM in vcsim:
// kasm-agent-4 (Debian 13, Docker 26, NetworkManager, admin with sudo).
// inventory.hcl leaves them out; bare-metal.hcl (BareMetalInventoryPath)
// holds their agent blocks.
func (l *Lab) BareMetalAgents() []Agent { return agents(l.state.BareMetal) }

func agents(vms []topology.VM) []Agent {
	out := make([]Agent, 0, len(vms))
	for _, a := range vms {
		out = append(out, Agent{
			Name: a.Name, SSHAddr: a.SSHAddr(), TrunkMAC: a.TrunkMAC,
			LANAddr: a.LANAddr, ExtraAddr: a.ExtraAddr, NetConfig: a.NetConfig,
			User: a.LoginUser(), BareMetal: a.BareMetal, Image: a.ImageName(),
		})
	}
	return out
}

// Gateway is the lab's gateway VM.
func (l *Lab) Gateway() Gateway {
	g := l.state.Gateway
	return Gateway{
		Name:       g.Name,
		SSHAddr:    g.SSHAddr(),
		LANAddr:    topology.GatewayLANAddr,
		VLANAddrs:  map[int]string{150: topology.GatewayVLAN150, 160: topology.GatewayVLAN160},
		VLANAddrs6: map[int]string{150: topology.GatewayVLAN150v6, 160: topology.GatewayVLAN160v6},
		WhoAmIPort: topology.WhoAmIPort,
	}
}

// InventoryPath is examples/lab/inventory.hcl.
func (l *Lab) InventoryPath() string { return filepath.Join(l.root, "inventory.hcl") }

// KnownHostsPath holds the host key of every lab VM.
func (l *Lab) KnownHostsPath() string { return l.dir.KnownHosts() }

// KeyPath is the lab's private key for root on every VM.
func (l *Lab) KeyPath() string { return l.dir.Key() }

// StateDir is the lab's state folder.
func (l *Lab) StateDir() string { return string(l.dir) }

// VSphereURL is the simulator's SDK URL, without credentials.
func (l *Lab) VSphereURL() string { return l.state.VCSimURL }

// VSphereUser is the simulator's user name.
func (l *Lab) VSphereUser() string { return "lab" }

// VSpherePassword reads the simulator's password of this lab.
func (l *Lab) VSpherePassword() (string, error) {
	b, err := os.ReadFile(l.dir.VSpherePassword())
	if err != nil {
		return "", fmt.Errorf("vsphere password: %w", err)
	}
	return string(b), nil
}

// VSphereCAPath is the CA certificate that signed the simulator's.
func (l *Lab) VSphereCAPath() string { return l.dir.VCSimCA() }

func (l *Lab) vm(name string) (topology.VM, error) {
	vm, ok := topology.ByName(name)
	if !ok {
		return vm, fmt.Errorf("no lab vm %q", name)
	}
	return vm, nil
}

// Run runs cmd as root through the shell of the VM named agent (an agent
// or the gateway), checking its host key, and returns stdout. On a VM
// where root does not log in it logs in as its user and uses sudo.
func (l *Lab) Run(ctx context.Context, agent, cmd string) (string, error) {
	vm, err := l.vm(agent)
	if err != nil {
		return "", err
	}
	return l.conns.run(ctx, l.ssh.As(vm.User), vm.SSHAddr(), cmd)
}

// Up runs lab.sh up.
func Up(ctx context.Context) error { return labSH(ctx, "up") }

// Down runs lab.sh down.
func Down(ctx context.Context) error { return labSH(ctx, "down") }

func labSH(ctx context.Context, verb string) error {
	root, err := LabRoot()
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, filepath.Join(root, "lab.sh"), verb)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("lab.sh %s: %w", verb, err)
	}
	return nil
}
