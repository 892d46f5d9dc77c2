package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/kasmfleet/push/remote/helper/netcfg"
	"github.com/kasmfleet/push/remote/helper/state"
)

// Workload names.
const (
	W1Check    = "1 check (converged)"
	W2Converge = "2 converge"
	W0Deliver  = "0 first contact (helper upload)"
)

// bench is one `bench run`: where things go and what it found so far.
type bench struct {
	self     string // this executable, for the children
	out      string // results folder
	log      *os.File
	strategy string
	// ansibleMax is the largest fleet Ansible runs on (BENCH_ANSIBLE_MAX_N):
	// at 300 hosts one Ansible run takes about 10 minutes here.
	ansibleMax int
	res        Results
	counts     map[string]Run
	repeat     int // push and floor runs per cell (BENCH_REPEAT)
	// checkOnly runs first contact and workload 1 only (-check-only):
	// for the largest fleets.
	checkOnly bool
	// forks bounds the hosts push and the floor work on at once (-forks);
	// 0: every host of the fleet.
	forks int
	// skippedAnsible are the fleet sizes Ansible did not run on.
	skippedAnsible []int // by tool+workload: conns and execs per host from the counting fleet
}

func (b *bench) logf(format string, a ...any) {
	line := fmt.Sprintf("%s bench: "+format+"\n", append([]any{time.Now().Format("15:04:05")}, a...)...)
	os.Stderr.WriteString(line)
	b.log.WriteString(line)
}

// fleetRun measures one tool run on a fleet: wall and controller CPU
// from the run itself, server CPU and bytes from the hosts.
func (b *bench) fleetRun(f *benchFleet, r Run, fn func() (Measured, error)) (Run, error) {
	cpu0 := serverCPU(f.pids())
	rx0, err := f.rxBytes()
	if err != nil {
		return r, err
	}
	m, err := fn()
	r.Wall, r.ControllerCPU, r.ControllerMaxRSS = m.Wall, m.CPU, m.MaxRSS
	r.ServerCPU = serverCPU(f.pids()) - cpu0
	rx1, rerr := f.rxBytes()
	if rerr == nil {
		r.BytesToHosts = rx1 - rx0
	}
	if err != nil {
		return r, err
	}
	return r, nil
}

// inFlight is how many of n hosts push and the floor work on at once.
func (b *bench) inFlight(n int) int {
	if b.forks > 0 {
		return min(n, b.forks)
	}
	return n
}

func (b *bench) runPush(ctx context.Context, f *benchFleet, hostsFile, workload, mode, profile string, forks int) (Run, error) {
	r := Run{Workload: workload, Hosts: f.Len(), Tool: ToolPush, CountSource: "push's SSH stats"}
	var cr childResult
	r, err := b.fleetRun(f, r, func() (Measured, error) {
		args := []string{"push", "-hosts", hostsFile, "-mode", mode, "-forks", fmt.Sprint(forks)}
		if profile != "" {
			args = append(args, "-cpuprofile", profile)
		}
		m, out, err := runMeasured(ctx, b.log, b.self, args, nil)
		if err == nil {
			err = json.Unmarshal(out, &cr)
		}
		return m, err
	})
	if err != nil {
		return r, fmt.Errorf("push %s on %d hosts: %w", mode, f.Len(), err)
	}
	n := float64(f.Len())
	r.Conns, r.Execs, r.Uploaded = float64(cr.Stats.Connections)/n, float64(cr.Stats.Execs)/n, cr.Stats.BytesUploaded
	r.Changed, r.Failed = cr.Changed, cr.Failed
	if cr.Failed > 0 || cr.Done != f.Len() {
		return r, fmt.Errorf("push %s: %d of %d hosts done, %d failed: %s", mode, cr.Done, f.Len(), cr.Failed, strings.Join(cr.Errors, "; "))
	}
	return r, nil
}

func (b *bench) runFloor(ctx context.Context, f *benchFleet, hostsFile, workload string) (Run, error) {
	r := Run{Workload: workload, Hosts: f.Len(), Tool: ToolFloor, Conns: 1, Execs: 1, CountSource: "by construction"}
	work := FloorNoop
	if workload == W2Converge {
		work = FloorConverge
	}
	var cr childResult
	r, err := b.fleetRun(f, r, func() (Measured, error) {
		m, out, err := runMeasured(ctx, b.log, b.self, []string{"floor", "-hosts", hostsFile, "-work", work, "-forks", fmt.Sprint(b.inFlight(f.Len()))}, nil)
		if err == nil {
			err = json.Unmarshal(out, &cr)
		}
		return m, err
	})
	if err == nil && cr.Failed > 0 {
		err = fmt.Errorf("%d hosts failed: %s", cr.Failed, strings.Join(cr.Errors, "; "))
	}
	if err != nil {
		return r, fmt.Errorf("floor on %d hosts: %w", f.Len(), err)
	}
	return r, nil
}

func (b *bench) runAnsible(ctx context.Context, f *benchFleet, a *ansibleSetup, workload string, check bool) (Run, error) {
	r := Run{Workload: workload, Hosts: f.Len(), Tool: ToolAnsible}
	var o ansibleOutcome
	r, err := b.fleetRun(f, r, func() (Measured, error) {
		m, out, err := a.run(ctx, b.self, b.log, check)
		o = out
		return m, err
	})
	r.Changed, r.Failed = o.Changed, o.Failed
	if err == nil && (o.Failed > 0 || o.Hosts != f.Len()) {
		err = fmt.Errorf("%d of %d hosts failed: %s", o.Failed, o.Hosts, o.FirstError)
	}
	if err != nil {
		return r, fmt.Errorf("ansible (check %v) on %d hosts: %w", check, f.Len(), err)
	}
	return r, nil
}

// fleetFiles are the files both tools write, as push's helper renders
// them; Ansible copies these very bytes.
func fleetFiles() map[string][]byte {
	return map[string][]byte{
		filepath.Base(netcfg.NetworkdFile): netcfg.Render(netcfg.Networkd, trunkNIC),
		state.UnitName:                     state.Unit(),
	}
}

// checkConverged confirms that every host has what push's helper writes
// (files byte for byte, trunk up with no address): Ansible did the same
// work.
func checkConverged(f *benchFleet) error {
	for i := range f.Len() {
		want := map[string][]byte{
			filepath.Join(f.PrivateDir(i, "/etc/systemd/network"), filepath.Base(netcfg.NetworkdFile)): netcfg.Render(netcfg.Networkd, trunkNIC),
			filepath.Join(f.PrivateDir(i, "/etc/systemd/system"), state.UnitName):                      state.Unit(),
			filepath.Join(f.HelperDir(i), filepath.Base(state.Applied)):                                state.EncodeSpec(spec(f.Host(i).Name)),
		}
		for p, data := range want {
			got, err := os.ReadFile(p)
			if err != nil {
				return fmt.Errorf("host %d: %w", i, err)
			}
			if !bytes.Equal(got, data) {
				return fmt.Errorf("host %d: %s differs from push's:\n%s\nwant:\n%s", i, p, got, data)
			}
		}
		link := filepath.Join(f.PrivateDir(i, "/etc/systemd/system"), "multi-user.target.wants", state.UnitName)
		if t, err := os.Readlink(link); err != nil || t != state.UnitFile {
			return fmt.Errorf("host %d: boot unit not enabled (%q, %v)", i, t, err)
		}
		up, addrs, err := f.trunkState(i)
		if err != nil {
			return err
		}
		if !up || addrs > 0 {
			return fmt.Errorf("host %d: trunk up=%v with %d IPv4 addresses", i, up, addrs)
		}
	}
	return nil
}

func writeHosts(f *benchFleet, path string) error {
	b, err := json.Marshal(f.hosts())
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}

func ansibleTargets(f *benchFleet) []ansibleTarget {
	var out []ansibleTarget
	for _, h := range f.Hosts() {
		out = append(out, ansibleTarget{Name: h.Name, Addr: h.Addr, Port: h.Port})
	}
	return out
}

// startBenchFleet starts n sshd (logging at logLevel, "" for the
// default) and writes what each tool needs to reach them: push's hosts
// file and Ansible's project.
func (b *bench) startBenchFleet(ctx context.Context, n int, logLevel string) (*benchFleet, string, *ansibleSetup, error) {
	f, err := startFleet(ctx, n, logLevel)
	if err != nil {
		return nil, "", nil, err
	}
	hostsFile := filepath.Join(f.work, "hosts.json")
	err = writeHosts(f, hostsFile)
	var a *ansibleSetup
	if err == nil {
		a, err = writeAnsible(filepath.Join(f.work, "ansible"), "examples/bench/ansible/fleet.yml", n, b.strategy,
			f.KeyPath(), f.KnownHostsPath(), ansibleTargets(f), map[string]any{"trunk": trunkNIC}, fleetFiles())
	}
	if err != nil {
		f.Close()
		return nil, "", nil, err
	}
	return f, hostsFile, a, nil
}

// fleetSize runs workloads 1 and 2 with every tool on a fresh fleet of n.
func (b *bench) fleetSize(ctx context.Context, n int, profile bool) error {
	b.logf("starting a fleet of %d sshd", n)
	f, hostsFile, a, err := b.startBenchFleet(ctx, n, "")
	if err != nil {
		return err
	}
	defer f.Close()
	add := func(r Run, err error) error {
		if c, ok := b.counts[r.Tool+r.Workload]; ok && r.Tool == ToolAnsible {
			r.Conns, r.Execs, r.CountSource = c.Conns, c.Execs, c.CountSource
		}
		b.res.Runs = append(b.res.Runs, r)
		b.logf("%-8s %-32s n=%-4d wall %7.2fs  controller CPU %7.2fs  server CPU %7.2fs  max RSS %4.0f MiB  changed %d failed %d",
			r.Tool, r.Workload, r.Hosts, r.Wall.Seconds(), r.ControllerCPU.Seconds(), r.ServerCPU.Seconds(), float64(r.ControllerMaxRSS)/(1<<20), r.Changed, r.Failed)
		return err
	}
	prof := func(name string) string {
		if !profile {
			return ""
		}
		p, _ := filepath.Abs(filepath.Join(b.out, fmt.Sprintf("push-%s-%d.pprof", name, n)))
		return p
	}
	// push and the floor alternate, BENCH_REPEAT times each, so that both
	// see the same load from the machine's other users; the median run of
	// each is kept. Before each converge the hosts are reset.
	var floor2, push2, floor1, push1 []Run
	keep := func(dst *[]Run) func(Run, error) error {
		return func(r Run, err error) error {
			*dst = append(*dst, r)
			return err
		}
	}
	steps := []func() error{func() error { return b.deliver(ctx, f, hostsFile, add) }}
	converge := b.repeat
	if b.checkOnly {
		// No timed converge, but the check is of a converged fleet, as
		// in a whole run (where the converges come first).
		converge = 0
		steps = append(steps, func() error {
			_, err := b.runPush(ctx, f, hostsFile, W2Converge, "apply", "", b.inFlight(n))
			return err
		}, func() error { return checkConverged(f) })
	}
	for i := range converge {
		steps = append(steps,
			func() error { return f.forEach(ctx, f.reset) },
			func() error { return keep(&floor2)(b.runFloor(ctx, f, hostsFile, W2Converge)) },
			func() error {
				if i > 0 {
					return nil
				}
				// The converge floor does the same host work as push.
				return checkConverged(f)
			},
			func() error { return f.forEach(ctx, f.reset) },
			func() error {
				return keep(&push2)(b.runPush(ctx, f, hostsFile, W2Converge, "apply", "", b.inFlight(n)))
			})
	}
	for range b.repeat {
		steps = append(steps,
			func() error { return keep(&floor1)(b.runFloor(ctx, f, hostsFile, W1Check)) },
			func() error { return keep(&push1)(b.runPush(ctx, f, hostsFile, W1Check, "check", "", b.inFlight(n))) })
	}
	steps = append(steps, func() error {
		for _, rs := range [][]Run{floor2, push2, floor1, push1} {
			add(median(rs), nil)
		}
		return nil
	})
	if b.checkOnly {
		steps = append(steps, func() error {
			b.logf("check only (-check-only): no converge, no import, no Ansible")
			return nil
		})
	} else {
		steps = append(steps, b.importSteps(ctx, f, hostsFile, add)...)
	}
	switch {
	case b.checkOnly:
	case n <= b.ansibleMax:
		steps = append(steps,
			func() error { return f.forEach(ctx, f.reset) },
			func() error { return add(b.runAnsible(ctx, f, a, W2Converge, false)) },
			func() error { return checkConverged(f) },
			func() error { return add(b.runAnsible(ctx, f, a, W1Check, true)) })
	default:
		b.logf("Ansible is not run on %d hosts (BENCH_ANSIBLE_MAX_N=%d)", n, b.ansibleMax)
		b.skippedAnsible = append(b.skippedAnsible, n)
	}
	if profile {
		// Profiled runs are extra, not timed: a profile costs a little.
		steps = append(steps,
			func() error {
				_, err := b.runPush(ctx, f, hostsFile, W1Check, "check", prof("check"), b.inFlight(n))
				return err
			})
	}
	if profile && !b.checkOnly {
		steps = append(steps,
			func() error { return f.forEach(ctx, f.reset) },
			func() error {
				_, err := b.runPush(ctx, f, hostsFile, W2Converge, "apply", prof("apply"), b.inFlight(n))
				return err
			})
	}
	for _, s := range steps {
		if err := s(); err != nil {
			return err
		}
	}
	return nil
}

// deliverForks bounds the first contact, which uploads the helper
// (7.5 MB) to every host: not a workload, only the setup of one.
const deliverForks = 50

// deliver is push's first contact with a fresh fleet: it uploads the
// helper. It is recorded but is not one of the workloads; hosts a loaded
// machine timed out on are retried once.
func (b *bench) deliver(ctx context.Context, f *benchFleet, hostsFile string, add func(Run, error) error) error {
	r, err := b.runPush(ctx, f, hostsFile, W0Deliver, "check", "", min(f.Len(), deliverForks))
	if err == nil {
		return add(r, nil)
	}
	b.logf("first contact: %v; once more", err)
	r.Note = "some hosts timed out; delivered on a second run"
	add(r, nil)
	_, err = b.runPush(ctx, f, hostsFile, W0Deliver, "check", "", min(f.Len(), deliverForks))
	return err
}

// median is the run with the median wall time; Note lists every run's.
func median(rs []Run) Run {
	if len(rs) == 0 {
		return Run{}
	}
	sorted := slices.Clone(rs)
	slices.SortFunc(sorted, func(a, b Run) int { return cmp.Compare(a.Wall, b.Wall) })
	m := sorted[len(sorted)/2]
	if len(rs) > 1 {
		var walls []string
		for _, r := range rs {
			walls = append(walls, fmt.Sprintf("%.2f", r.Wall.Seconds()))
		}
		m.Note = strings.TrimSpace(m.Note + " median of " + strings.Join(walls, ", ") + " s")
	}
	return m
}
