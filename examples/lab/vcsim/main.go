// Command vcsim is the lab's vCenter: govmomi's simulator with a
// datacenter "Lab", a distributed switch "DSwitch-Lab" and the VMs
// kasm-agent-1..3, served over TLS on 127.0.0.1:8989. A NIC added on the
// port group "kasm-trunk" gets the MAC of the VM's lab trunk NIC (its eth1),
// so vSphere and the guests agree as they would on real hardware.
//
// It writes into -state: vsphere-password, vcsim-ca.pem, vcsim-thumbprint,
// and vcsim.ready once it serves.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"syscall"

	"github.com/kasmfleet/push/examples/lab/topology"
)

func main() {
	state := flag.String("state", "", "the lab's state folder")
	listen := flag.String("listen", topology.VCSimAddr, "address to serve on")
	flag.Parse()
	if *state == "" {
		log.Fatal("vcsim: -state is required")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, topology.Dir(*state), *listen); err != nil {
		fmt.Fprintln(os.Stderr, "vcsim:", err)
		os.Exit(1)
	}
}
