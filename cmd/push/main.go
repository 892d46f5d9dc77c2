// Command push puts Kasm agent hosts onto VLANs and egress IPs, and keeps
// them there. The work happens in run; main only wires the process to it.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time.
var version = "dev"

func main() {
	interrupt := make(chan os.Signal, 2)
	signal.Notify(interrupt, os.Interrupt, syscall.SIGTERM)
	os.Exit(run(context.Background(), os.Args[1:], newStdio(interrupt)))
}
