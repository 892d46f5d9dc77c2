package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"golang.org/x/term"
)

// Exit codes, the same for every command.
const (
	exitOK      = 0 // done; in sync
	exitFailed  = 1 // errors: invalid inventory, failed hosts, unreachable hosts
	exitChanges = 2 // plan and check: changes pending, drift found
	exitUsage   = 64
)

// stdio is the process's outside world, swappable in tests.
type stdio struct {
	in        io.Reader
	out, err  io.Writer
	getenv    func(string) string
	lookupEnv func(string) (string, bool)
	color     bool // colored output on err
	tty       bool // err is a terminal: live progress
	// interrupt delivers Ctrl-C: the first stops starting hosts, the
	// second aborts those in flight.
	interrupt <-chan os.Signal
}

func newStdio(interrupt <-chan os.Signal) stdio {
	tty := term.IsTerminal(int(os.Stderr.Fd())) && os.Getenv("TERM") != "dumb"
	return stdio{in: os.Stdin, out: os.Stdout, err: os.Stderr, getenv: os.Getenv, lookupEnv: os.LookupEnv,
		tty: tty, color: tty && os.Getenv("NO_COLOR") == "", interrupt: interrupt}
}

type command struct {
	name, args, summary string
	run                 func(ctx context.Context, io stdio, args []string) int
}

func commands() []command {
	return []command{
		{"validate", "FILE...", "check an inventory and report every problem", runValidate},
		{"apply", "[flags] FILE...", "converge vSphere and every host, in rolling batches", runApply},
		{"check", "[flags] FILE...", "report drift: what no longer matches the inventory (read only)", runCheck},
		{"plan", "[--offline] [--json] FILE...", "what apply would change, per host (--offline: the desired state)", runPlan},
		{"import", importArgs, "write the inventory of hosts built by hand (read only)", runImport},
		{"version", "", "print push's version", runVersion},
	}
}

func run(ctx context.Context, args []string, io stdio) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(io.out)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, io, args[1:])
		}
	}
	fmt.Fprintf(io.err, "push: unknown command %q\n\n", args[0])
	usage(io.err)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: push COMMAND [flags] FILE...")
	fmt.Fprintln(w)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %-32s %s\n", c.name, c.args, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "exit codes: 0 ok/in sync, 1 errors or failed hosts, 2 changes pending or drift found, 64 usage")
}

// flags makes a FlagSet for a command that reports errors on io.err.
func flags(io stdio, name, args string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.err)
	fs.Usage = func() {
		fmt.Fprintf(io.err, "usage: push %s %s\n", name, args)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses flags anywhere among the arguments and returns the files,
// or an exit code when parsing ended the command.
func parse(fs *flag.FlagSet, args []string) ([]string, int, bool) {
	var files []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, exitOK, false
			}
			return nil, exitUsage, false
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(files) == 0 {
		fs.Usage()
		return nil, exitUsage, false
	}
	return files, 0, true
}

func runVersion(_ context.Context, io stdio, _ []string) int {
	fmt.Fprintf(io.out, "push %s\n", version)
	return exitOK
}
