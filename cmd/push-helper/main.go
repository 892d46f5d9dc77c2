// Command push-helper converges one agent host; push uploads and runs it.
// It reads one JSON request on stdin and writes one JSON result on stdout
// (see remote/proto); all the work is in remote/helper.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/kasmfleet/push/remote/helper"
	"github.com/kasmfleet/push/remote/proto"
)

// version is set by the linker (-X main.version=...).
var version = "dev"

func main() {
	cfg := helper.Config{Version: version, Clock: time.Now, EndMark: os.Getenv(proto.EndMarkEnv),
		Interruptible: func(ctx context.Context) (context.Context, context.CancelFunc) {
			return signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
		}}
	if os.Getenv("PUSH_HELPER_TRACE") == "1" {
		cfg.Trace = os.Stderr // a line per apply step and per request sent to Docker
	}
	if fifo := os.Getenv("PUSH_HELPER_STEP"); fifo != "" {
		cfg.Trace = helper.StepTrace(os.Stderr, fifo) // and wait on fifo before each step
	}
	os.Exit(helper.Main(context.Background(), cfg, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
