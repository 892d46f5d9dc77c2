// Command push puts Kasm agent hosts onto VLANs and egress IPs, and keeps
// them there. The work happens in run; main only wires the process to it.
package main

import (
	"context"
	"os"
	"os/signal"
)

// version is set at build time.
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], newStdio()))
}
