// Package helper converges one agent host to a proto.HostSpec: it reads
// the host (facts), plans the actions, takes them under the host lock,
// reads back, and probes the result (verify). cmd/push-helper is a thin
// main over Main.
package helper

import (
	"context"
	"io"
	"os"
	"time"

	"github.com/kasmfleet/push/remote/helper/docker"
	"github.com/kasmfleet/push/remote/helper/handsnat"
	"github.com/kasmfleet/push/remote/helper/hostnet"
	"github.com/kasmfleet/push/remote/helper/kmod"
	"github.com/kasmfleet/push/remote/helper/lock"
	"github.com/kasmfleet/push/remote/helper/netcfg"
	"github.com/kasmfleet/push/remote/helper/snat"
	"github.com/kasmfleet/push/remote/helper/state"
)

// Config says where the helper finds the host. The zero value (after
// Defaults) is the real host; tests point it at a folder and a network
// namespace.
type Config struct {
	// Version is the build's version (set by the linker in main).
	Version string
	// Root prefixes every file path (/etc, /var/lib/push, /sys).
	Root string
	// DockerSocket is the Docker Engine API socket.
	DockerSocket string
	// LockPath is the host lock file.
	LockPath string
	// Net reads and changes links; NetNS is the namespace fd for
	// nftables (0: the current one).
	Net   hostnet.Net
	NetNS int
	// EndMark, when set, is printed after the result with the exit
	// code ("MARK 2"): push's run script execs the helper, so the
	// helper itself ends push's frame (proto.EndMarkEnv).
	EndMark string
	// Interruptible, when set, is called before a verb that changes the
	// host (apply, verify, restore) runs, and returns the context it runs
	// in: push-helper's cancels it on SIGINT or SIGTERM, so that the verb
	// stops between steps and cleans up. A read-only verb (facts, plan,
	// version) runs without it and dies of such a signal, losing nothing
	// (its host lock is an flock): watching signals starts a thread, ~1.8
	// ms of CPU per run with 300 helpers started at once (docs/benchmarks.md).
	Interruptible func(context.Context) (context.Context, context.CancelFunc)
	// Executable is the helper's own file ("" asks the OS).
	Executable string
	// SSHConnection overrides the session lookup (tests).
	SSHConnection string
	// Run runs a program (modprobe, systemctl, networkctl); nil runs it
	// for real.
	Run func(ctx context.Context, name string, args ...string) error
	// Trace, when set, gets a line as each apply step starts and ends
	// and as each request reaches Docker (PUSH_HELPER_TRACE=1).
	Trace io.Writer
	// Clock, when set, times the run: the result then says how long each
	// phase and each action took (push-helper sets it; tests leave it nil
	// so that results stay the same from run to run).
	Clock func() time.Time
	// SettleTimeout bounds the wait for Docker to finish work it is
	// still doing for an earlier, killed run (default 60s).
	SettleTimeout time.Duration
	// Output runs a program and returns its standard output (iptables-save,
	// nft); nil runs it for real, and a missing program reads as no rules.
	Output func(ctx context.Context, name string, args ...string) ([]byte, error)
}

// Defaults fills in the real host's paths.
func (c Config) Defaults() Config {
	if c.DockerSocket == "" {
		c.DockerSocket = docker.DefaultSocket
	}
	if c.LockPath == "" {
		c.LockPath = c.Root + lock.DefaultPath
	}
	if c.Run == nil {
		c.Run = netcfg.RunCommand
	}
	if c.SettleTimeout == 0 {
		c.SettleTimeout = 60 * time.Second
	}
	if c.Executable == "" {
		c.Executable, _ = os.Executable()
	}
	return c
}

func (c Config) netcfg() netcfg.Host { return netcfg.Host{Root: c.Root, Run: c.Run} }
func (c Config) kmod() kmod.Host     { return kmod.Host{Root: c.Root} }
func (c Config) state() state.Host   { return state.Host{Root: c.Root} }
func (c Config) snat() snat.Rules    { return snat.Rules{NetNS: c.NetNS} }
func (c Config) handsnat() handsnat.Host {
	return handsnat.Host{Root: c.Root, Output: c.Output, NetNS: c.NetNS}
}
