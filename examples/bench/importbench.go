package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kasmfleet/push/playbooks"
	"github.com/kasmfleet/push/playbooks/importinv"
	pushssh "github.com/kasmfleet/push/remote/ssh"
	"github.com/kasmfleet/push/runner/sshhosts"
)

// W4Import is push import on the converged fleet, timed against a
// no-change check of the same fleet in the same alternation.
const W4Import = "4 import (vs check)"

// importBudget is the most an import may cost, as a multiple of a
// no-change check of the same fleet (issue 15).
const importBudget = 1.2

// importResult is what the import child prints.
type importResult struct {
	childResult
	// DockerDown counts hosts whose Docker did not answer: every sshfleet
	// host (there is no Docker engine on this machine).
	DockerDown int `json:"docker_down"`
	Bytes      int `json:"inventory_bytes"`
}

// importChild is `push import`'s code path after it resolved HOSTS: the
// survey of every host (the helper's facts with the survey option, over
// runner/sshhosts with the embedded helper) and the written inventory.
func importChild(ctx context.Context, hostsPath, out string, forks int) error {
	hosts, err := readHosts(hostsPath)
	if err != nil {
		return err
	}
	began := time.Now()
	tr, err := sshhosts.New(pushssh.Options{SSHConfigPath: "none", AgentSocket: "none",
		DialTimeout: 30 * time.Second, HandshakeTimeout: 30 * time.Second,
		Getenv: func(string) string { return "" }})
	if err != nil {
		return err
	}
	defer tr.Close()
	for i := range hosts {
		hosts[i] = playbooks.Host{Name: hosts[i].Name, Conn: hosts[i].Conn}
	}
	read := importinv.Survey(ctx, tr, hosts, forks)
	src := importinv.Write(importinv.Fleet{Hosts: read})
	if err := os.WriteFile(out, src, 0o644); err != nil {
		return err
	}
	res := importResult{childResult: childResult{Hosts: len(hosts), Stats: tr.Stats(), Duration: time.Since(began)}, Bytes: len(src)}
	for _, h := range read {
		switch {
		case h.Facts == nil:
			res.Failed++
			if len(res.Errors) < 5 {
				res.Errors = append(res.Errors, h.Name+": "+h.Err)
			}
		case h.Facts.Docker.Unreachable != "":
			res.Done++
			res.DockerDown++
		default:
			res.Done++
		}
	}
	return json.NewEncoder(os.Stdout).Encode(res)
}

func (b *bench) runImport(ctx context.Context, f *benchFleet, hostsFile string, forks int) (Run, error) {
	r := Run{Workload: W4Import, Hosts: f.Len(), Tool: ToolPush, CountSource: "push's SSH stats"}
	out := filepath.Join(f.work, "imported.hcl")
	var cr importResult
	r, err := b.fleetRun(f, r, func() (Measured, error) {
		m, stdout, err := runMeasured(ctx, b.log, b.self, []string{"import", "-hosts", hostsFile, "-out", out, "-forks", fmt.Sprint(forks)}, nil)
		if err == nil {
			err = json.Unmarshal(stdout, &cr)
		}
		return m, err
	})
	if err != nil {
		return r, fmt.Errorf("push import of %d hosts: %w", f.Len(), err)
	}
	n := float64(f.Len())
	r.Conns, r.Execs, r.Uploaded, r.Failed = float64(cr.Stats.Connections)/n, float64(cr.Stats.Execs)/n, cr.Stats.BytesUploaded, cr.Failed
	if cr.Failed > 0 || cr.Done != f.Len() {
		return r, fmt.Errorf("push import: %d of %d hosts read, %d failed: %s", cr.Done, f.Len(), cr.Failed, strings.Join(cr.Errors, "; "))
	}
	if cr.DockerDown != f.Len() {
		return r, fmt.Errorf("push import: %d of %d hosts without Docker; the sshfleet has none", cr.DockerDown, f.Len())
	}
	return r, nil
}

// importSteps time push import against a no-change check of the same
// (converged) fleet: they alternate, BENCH_REPEAT times each, so both see
// the same load; the medians' ratio is the figure, against importBudget.
func (b *bench) importSteps(ctx context.Context, f *benchFleet, hostsFile string, add func(Run, error) error) []func() error {
	var checks, imports []Run
	var steps []func() error
	for range b.repeat {
		steps = append(steps,
			func() error {
				r, err := b.runPush(ctx, f, hostsFile, W1Check, "check", "", f.Len())
				if err == nil && r.Changed > 0 {
					err = fmt.Errorf("check before import: %d hosts would change; the fleet is not converged", r.Changed)
				}
				checks = append(checks, r)
				return err
			},
			func() error {
				r, err := b.runImport(ctx, f, hostsFile, f.Len())
				imports = append(imports, r)
				return err
			})
	}
	return append(steps, func() error {
		c, i := median(checks), median(imports)
		wall := float64(i.Wall) / float64(c.Wall)
		verdict := "within"
		if wall > importBudget {
			verdict = "OVER"
		}
		i.Note = strings.TrimSpace(fmt.Sprintf("%s; import/check: wall %.2f×, controller CPU %s, server CPU %s (check %s, %s)",
			i.Note, wall, ratio(i.ControllerCPU, c.ControllerCPU, true), ratio(i.ServerCPU, c.ServerCPU, true), seconds(c.Wall), c.Note))
		b.res.Notes = append(b.res.Notes, fmt.Sprintf("push import of %d hosts: %s wall against %s for a no-change check of the same fleet, %.2f× (%s the %.1f× budget); controller CPU %s, server CPU %s. "+
			"The sshfleet has no Docker: the survey reads addresses, SNAT rules and the network configuration, and reports Docker unreachable as a fact of each host.",
			f.Len(), seconds(i.Wall), seconds(c.Wall), wall, verdict, importBudget,
			ratio(i.ControllerCPU, c.ControllerCPU, true), ratio(i.ServerCPU, c.ServerCPU, true)))
		return add(i, nil)
	})
}

// importRatio is `bench import-ratio [-n 100]`: only workload 4, on a
// fresh fleet that push converges first (the check it is timed against
// must change nothing). `make bench` runs it inside every fleet size.
func importRatio(ctx context.Context, fs *flag.FlagSet, args []string) error {
	n := fs.Int("n", 100, "hosts")
	out := fs.String("out", envOr("BENCH_OUT", "bench-results"), "results folder (BENCH_OUT)")
	repeat := fs.Int("repeat", envInt("BENCH_REPEAT", 3), "check and import runs, median kept (BENCH_REPEAT)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if os.Geteuid() != 0 {
		return fmt.Errorf("bench needs root (network namespaces, sshd fleets)")
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	logf, err := os.Create(filepath.Join(*out, "bench-import.log"))
	if err != nil {
		return err
	}
	defer logf.Close()
	b := &bench{self: self, out: *out, log: logf, repeat: max(*repeat, 1), res: Results{Machine: machine()}}
	raiseLimits(b)
	f, hostsFile, _, err := b.startBenchFleet(ctx, *n, "")
	if err != nil {
		return err
	}
	defer f.Close()
	add := func(r Run, err error) error {
		b.res.Runs = append(b.res.Runs, r)
		return err
	}
	steps := []func() error{
		func() error { return b.deliver(ctx, f, hostsFile, add) },
		func() error { return add(b.runPush(ctx, f, hostsFile, W2Converge, "apply", "", *n)) },
	}
	for _, s := range append(steps, b.importSteps(ctx, f, hostsFile, add)...) {
		if err := s(); err != nil {
			return err
		}
	}
	if err := b.res.Write(*out); err != nil {
		return err
	}
	fmt.Print(b.res.Markdown())
	return nil
}
