// Command labctl brings the push lab up and down: qemu VMs (four agents
// and a gateway) on host bridges, and the vSphere simulator. lab.sh is its
// thin wrapper; see examples/lab/README.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/kasmfleet/push/examples/lab/topology"
)

// config is where the lab's pieces are, and which VMs up brings up.
type config struct {
	dir     topology.Dir // state folder
	labRoot string       // examples/lab
	vcsim   string       // the vcsim binary (up builds it)
	vms     []topology.VM
}

func main() {
	var c config
	var state string
	flag.StringVar(&state, "state", "", "state folder (examples/lab/state)")
	flag.StringVar(&c.labRoot, "lab", "", "the lab's source folder (examples/lab)")
	flag.StringVar(&c.vcsim, "vcsim", "", "the vcsim binary (up builds it there)")
	demo := flag.Bool("demo", false, "up: only what make demo needs (the gateway and kasm-agent-1..3, one image)")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: labctl -state DIR -lab DIR -vcsim BIN [-demo] up|down|status")
		flag.PrintDefaults()
	}
	flag.Parse()
	c.vms = topology.All()
	if *demo {
		c.vms = topology.Demo()
	}
	c.dir = topology.Dir(state)
	if flag.NArg() != 1 || state == "" || c.labRoot == "" {
		flag.Usage()
		os.Exit(2)
	}
	if os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "labctl: the lab needs root (bridges, taps, qemu); run it as root")
		os.Exit(1)
	}
	closeInheritedFiles()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch flag.Arg(0) {
	case "up":
		err = up(ctx, c)
	case "down":
		err = down(ctx, c)
	case "status":
		err = status(ctx, c)
	default:
		flag.Usage()
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "labctl:", err)
		os.Exit(1)
	}
}

// closeInheritedFiles keeps files labctl inherited (say, a lock held by
// flock(1) around lab.sh) from passing on to the long-lived qemu and vcsim.
func closeInheritedFiles() {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return
	}
	for _, e := range entries {
		if fd, err := strconv.Atoi(e.Name()); err == nil && fd > 2 {
			syscall.CloseOnExec(fd)
		}
	}
}
