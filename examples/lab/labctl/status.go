package main

import (
	"context"
	"fmt"
	"time"

	"github.com/kasmfleet/push/examples/lab/labssh"
	"github.com/kasmfleet/push/examples/lab/labvm"
	"github.com/kasmfleet/push/examples/lab/topology"
)

// status prints the state of each VM the lab was brought up with (a demo
// lab has no bare-metal agent) and fails unless all are healthy.
func status(ctx context.Context, c config) error {
	st, err := c.dir.ReadState()
	if err != nil {
		return fmt.Errorf("lab is not up: %w", err)
	}
	fmt.Printf("lab: up since %s, image %s\n", st.Started.Format(time.RFC3339), st.Image)
	for name, img := range st.Images {
		if img != st.Image {
			fmt.Printf("lab: image %s %s\n", name, img)
		}
	}
	client := labssh.Client{KeyPath: c.dir.Key(), KnownHostsPath: c.dir.KnownHosts()}
	bad := 0
	for _, vm := range append(append([]topology.VM{st.Gateway}, st.Agents...), st.BareMetal...) {
		pid, ok := labvm.Running(c.dir, vm.Name)
		state := "stopped"
		if ok {
			cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
			_, err := client.As(vm.User).Run(cctx, vm.SSHAddr(), labvm.ReadyCommand(vm))
			cancel()
			state = fmt.Sprintf("pid %d, ready", pid)
			if err != nil {
				state = fmt.Sprintf("pid %d, NOT ready: %v", pid, err)
				bad++
			}
		} else {
			bad++
		}
		fmt.Printf("  %-13s %-17s ssh %s  %s\n", vm.Name, vm.NetConfig, vm.SSHAddr(), state)
	}
	if pid, ok := vcsimPID(c.dir); ok {
		fmt.Printf("  %-13s pid %d, %s\n", "vcsim", pid, st.VCSimURL)
	} else {
		fmt.Printf("  %-13s stopped\n", "vcsim")
		bad++
	}
	if bad > 0 {
		return fmt.Errorf("%d part(s) of the lab are not healthy", bad)
	}
	return nil
}
