// Command bench measures push against Ansible and against the floor (one
// bare SSH handshake and one no-op exec per host) on the same hosts in
// the same run, and writes the figures to bench-results/. `make bench`
// runs it as root; see docs/benchmarks.md.
//
//	bench [run] [-n 10,100,300] [-lab auto|yes|no] [-out bench-results]
//	bench rss [-n 100] [-spew 10]   push's memory with hosts that send endless output
//	bench import-ratio [-n 100]     push import against a no-change check (also part of run)
//	bench delivery [-n 10,100]      first contact: push's exec delivery against sftp
//	bench hold [-n 1]               a fleet kept up until interrupted, for strace and perf
//
// The other verbs are its children, each measured as its own process:
//
//	bench push -hosts FILE -mode apply|check [-forks N] [-cpuprofile FILE]
//	bench import -hosts FILE -out FILE [-forks N]
//	bench floor -hosts FILE [-work noop|converge] [-forks N]
//	bench deliver -hosts FILE -how exec|sftp [-forks N]
//	bench wrap -out FILE -- PROGRAM ARGS...
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := dispatch(ctx, os.Args[1:])
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func dispatch(ctx context.Context, args []string) error {
	verb := "run"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		verb, args = args[0], args[1:]
	}
	fs := flag.NewFlagSet("bench "+verb, flag.ContinueOnError)
	switch verb {
	case "run":
		sizes := fs.String("n", envOr("BENCH_N", "10,100,300"), "fleet sizes (BENCH_N)")
		lab := fs.String("lab", envOr("BENCH_LAB", "auto"), "workload 3 on the lab: auto (when it runs), yes, no (BENCH_LAB)")
		out := fs.String("out", envOr("BENCH_OUT", "bench-results"), "results folder (BENCH_OUT)")
		strategy := fs.String("strategy", envOr("BENCH_ANSIBLE_STRATEGY", "linear"), "Ansible strategy (BENCH_ANSIBLE_STRATEGY)")
		repeat := fs.Int("repeat", envInt("BENCH_REPEAT", 3), "push and floor runs per cell, median kept (BENCH_REPEAT)")
		ansibleMax := fs.Int("ansible-max-n", envInt("BENCH_ANSIBLE_MAX_N", 100), "largest fleet Ansible runs on (BENCH_ANSIBLE_MAX_N)")
		checkOnly := fs.Bool("check-only", os.Getenv("BENCH_CHECK_ONLY") == "1", "first contact and workload 1 only, no counting fleet (BENCH_CHECK_ONLY=1)")
		forks := fs.Int("forks", envInt("BENCH_FORKS", 0), "hosts at once for push and the floor alike; 0: every host (BENCH_FORKS)")
		if err := fs.Parse(args); err != nil {
			return err
		}
		ns, err := parseSizes(*sizes)
		if err != nil {
			return err
		}
		return runAll(ctx, ns, *lab, *out, *strategy, *ansibleMax, max(*repeat, 1), *checkOnly, max(*forks, 0))
	case "rss":
		n := fs.Int("n", 100, "hosts")
		spew := fs.Int("spew", 10, "of which send endless output")
		if err := fs.Parse(args); err != nil {
			return err
		}
		return measureRSS(ctx, *n, *spew)
	case "delivery":
		sizes := fs.String("n", "10,100", "fleet sizes")
		repeat := fs.Int("repeat", envInt("BENCH_REPEAT", 3), "runs of each way, median kept (BENCH_REPEAT)")
		out := fs.String("out", envOr("BENCH_OUT", "bench-results"), "results folder (BENCH_OUT)")
		if err := fs.Parse(args); err != nil {
			return err
		}
		ns, err := parseSizes(*sizes)
		if err != nil {
			return err
		}
		return delivery(ctx, ns, max(*repeat, 1), *out)
	case "hold":
		n := fs.Int("n", 1, "hosts")
		if err := fs.Parse(args); err != nil {
			return err
		}
		return hold(ctx, *n)
	case "deliver":
		hosts := fs.String("hosts", "", "hosts JSON")
		how := fs.String("how", DeliverExec, "exec or sftp")
		forks := fs.Int("forks", 100, "hosts at once")
		if err := fs.Parse(args); err != nil {
			return err
		}
		return deliverChild(ctx, *hosts, *how, *forks)
	case "push":
		hosts := fs.String("hosts", "", "hosts JSON")
		mode := fs.String("mode", "check", "apply or check")
		forks := fs.Int("forks", 100, "hosts at once")
		profile := fs.String("cpuprofile", "", "write a CPU profile")
		if err := fs.Parse(args); err != nil {
			return err
		}
		return pushChild(ctx, *hosts, *mode, *forks, *profile)
	case "import-ratio":
		return importRatio(ctx, fs, args)
	case "import":
		hosts := fs.String("hosts", "", "hosts JSON")
		out := fs.String("out", "", "the written inventory")
		forks := fs.Int("forks", 100, "hosts at once")
		if err := fs.Parse(args); err != nil {
			return err
		}
		return importChild(ctx, *hosts, *out, *forks)
	case "floor":
		hosts := fs.String("hosts", "", "hosts JSON")
		forks := fs.Int("forks", 100, "hosts at once")
		work := fs.String("work", FloorNoop, "noop (true) or converge (workload 2's host work)")
		if err := fs.Parse(args); err != nil {
			return err
		}
		return floorChild(ctx, *hosts, *work, *forks)
	case "wrap":
		out := fs.String("out", "", "the program's stdout")
		if err := fs.Parse(args); err != nil {
			return err
		}
		if fs.NArg() == 0 || *out == "" {
			return fmt.Errorf("wrap: -out FILE -- PROGRAM ARGS")
		}
		return wrap(ctx, *out, fs.Args())
	}
	return fmt.Errorf("unknown verb %q", verb)
}

func envInt(k string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(k)); err == nil {
		return v
	}
	return def
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
