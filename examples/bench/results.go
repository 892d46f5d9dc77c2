package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Tool names, in table order.
const (
	ToolPush    = "push"
	ToolAnsible = "ansible"
	ToolFloor   = "floor"
)

// Run is one timed run of one tool on one fleet.
type Run struct {
	Workload string `json:"workload"` // "1-check", "2-converge", "3-lab", "3-lab-rerun"
	Hosts    int    `json:"hosts"`
	Tool     string `json:"tool"`
	// Wall is the elapsed time of the tool's process, start to exit.
	Wall time.Duration `json:"wall_ns"`
	// ControllerCPU is user+system CPU of the tool's process tree
	// (wait4 rusage: the process and every descendant it reaped).
	ControllerCPU time.Duration `json:"controller_cpu_ns"`
	// ControllerMaxRSS is the tool's largest resident set (wait4's
	// ru_maxrss), in bytes; 0 when not measured.
	ControllerMaxRSS int64 `json:"controller_max_rss,omitempty"`
	// ServerCPU is the CPU the hosts' sshd (and everything they ran)
	// used during the run; 0 when not measured (lab VMs).
	ServerCPU time.Duration `json:"server_cpu_ns,omitempty"`
	// BytesToHosts is what the hosts' network interfaces received
	// during the run (SSH framing included); 0 when not measured.
	BytesToHosts int64 `json:"bytes_to_hosts,omitempty"`
	// Conns, Execs per host and Uploaded (helper bytes, push only) are
	// per run; CountSource says how they were obtained.
	Conns       float64 `json:"conns_per_host"`
	Execs       float64 `json:"execs_per_host"`
	Uploaded    int64   `json:"helper_bytes_uploaded"`
	CountSource string  `json:"count_source,omitempty"`
	// Changed is how many hosts the tool said it changed (or would).
	Changed int    `json:"changed"`
	Failed  int    `json:"failed"`
	Note    string `json:"note,omitempty"`
}

// Machine describes where the figures come from.
type Machine struct {
	CPUs   int    `json:"cpus"`
	Model  string `json:"cpu_model"`
	Kernel string `json:"kernel"`
	Load   string `json:"loadavg_at_start"`
	Date   string `json:"date"`
	Notes  string `json:"notes,omitempty"`
}

// Results are a whole bench run.
type Results struct {
	Machine Machine  `json:"machine"`
	Runs    []Run    `json:"runs"`
	Notes   []string `json:"notes,omitempty"`
}

// find returns the run of tool for workload and n.
func (r Results) find(workload string, n int, tool string) (Run, bool) {
	for _, x := range r.Runs {
		if x.Workload == workload && x.Hosts == n && x.Tool == tool {
			return x, true
		}
	}
	return Run{}, false
}

type rowKey struct {
	workload string
	n        int
}

// rows lists workload and fleet size pairs in first-seen order, by
// workload then size.
func (r Results) rows() []rowKey {
	seen := map[rowKey]bool{}
	var out []rowKey
	for _, x := range r.Runs {
		k := rowKey{x.Workload, x.Hosts}
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].workload != out[j].workload {
			return out[i].workload < out[j].workload
		}
		return out[i].n < out[j].n
	})
	return out
}

// Markdown renders the comparison table and the per-run detail table.
func (r Results) Markdown() string {
	var b strings.Builder
	m := r.Machine
	fmt.Fprintf(&b, "Machine: %d CPUs, %s, kernel %s, load average at start %s, %s.\n\n", m.CPUs, m.Model, m.Kernel, m.Load, m.Date)
	b.WriteString("| workload | hosts | push | ansible | floor | push/ansible | push/floor | push CPU/host | ansible CPU/host | ansible/push CPU | push conns, execs /host | ansible conns, execs /host | push upload |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---:|\n")
	for _, k := range r.rows() {
		p, okP := r.find(k.workload, k.n, ToolPush)
		a, okA := r.find(k.workload, k.n, ToolAnsible)
		f, okF := r.find(k.workload, k.n, ToolFloor)
		cell := func(x Run, ok bool) string {
			if !ok {
				return "—"
			}
			return seconds(x.Wall)
		}
		fmt.Fprintf(&b, "| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
			k.workload, k.n, cell(p, okP), cell(a, okA), cell(f, okF),
			ratio(p.Wall, a.Wall, okP && okA), ratio(p.Wall, f.Wall, okP && okF),
			perHost(p, okP), perHost(a, okA), ratio(a.ControllerCPU, p.ControllerCPU, okP && okA),
			counts(p, okP), counts(a, okA), upload(p, okP))
	}
	b.WriteString("\nServer side, and the bound it sets: server CPU per host (sshd and what it ran), and each tool's CPU bound on wall time here, (controller + server CPU) ÷ CPUs, against its wall:\n\n")
	b.WriteString("| workload | hosts | floor srv CPU/host | push srv CPU/host | ansible srv CPU/host | floor bound / wall | push bound / wall | ansible bound / wall |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, k := range r.rows() {
		p, okP := r.find(k.workload, k.n, ToolPush)
		a, okA := r.find(k.workload, k.n, ToolAnsible)
		f, okF := r.find(k.workload, k.n, ToolFloor)
		if !okF && !okA {
			continue
		}
		fmt.Fprintf(&b, "| %s | %d | %s | %s | %s | %s | %s | %s |\n", k.workload, k.n,
			serverPerHost(f, okF), serverPerHost(p, okP), serverPerHost(a, okA),
			bound(f, okF, m.CPUs), bound(p, okP, m.CPUs), bound(a, okA, m.CPUs))
	}
	b.WriteString("\nEvery run:\n\n")
	b.WriteString("| workload | hosts | tool | wall | controller CPU | controller max RSS | server CPU | server/controller CPU | bytes to hosts | per host | changed | failed | note |\n")
	b.WriteString("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n")
	for _, x := range r.Runs {
		srv, bytes, per, rss := "—", "—", "—", "—"
		if x.ServerCPU > 0 {
			srv = seconds(x.ServerCPU)
		}
		if x.BytesToHosts > 0 && x.Hosts > 0 {
			bytes = fmt.Sprint(x.BytesToHosts)
			per = fmt.Sprintf("%.2f MB", float64(x.BytesToHosts)/float64(x.Hosts)/1e6)
		}
		if x.ControllerMaxRSS > 0 {
			rss = fmt.Sprintf("%.0f MiB", float64(x.ControllerMaxRSS)/(1<<20))
		}
		fmt.Fprintf(&b, "| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %d | %d | %s |\n",
			x.Workload, x.Hosts, x.Tool, seconds(x.Wall), seconds(x.ControllerCPU), rss, srv,
			ratio(x.ServerCPU, x.ControllerCPU, x.ServerCPU > 0), bytes, per, x.Changed, x.Failed, x.Note)
	}
	for _, n := range r.Notes {
		b.WriteString("\n" + n + "\n")
	}
	return b.String()
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }

func ratio(a, b time.Duration, ok bool) string {
	if !ok || b <= 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f×", float64(a)/float64(b))
}

func perHost(x Run, ok bool) string {
	if !ok || x.Hosts == 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f ms", float64(x.ControllerCPU)/float64(time.Millisecond)/float64(x.Hosts))
}

func counts(x Run, ok bool) string {
	if !ok || x.CountSource == "" {
		return "—"
	}
	return fmt.Sprintf("%s, %s", trimFloat(x.Conns), trimFloat(x.Execs))
}

func upload(x Run, ok bool) string {
	if !ok {
		return "—"
	}
	return fmt.Sprintf("%d B", x.Uploaded)
}

func trimFloat(f float64) string {
	s := fmt.Sprintf("%.1f", f)
	return strings.TrimSuffix(s, ".0")
}

// Write stores the results as results.json and results.md in dir.
func (r Results) Write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("results dir: %w", err)
	}
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("encode results: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "results.json"), append(js, '\n'), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "results.md"), []byte(r.Markdown()), 0o644)
}

func serverPerHost(x Run, ok bool) string {
	if !ok || x.Hosts == 0 || x.ServerCPU <= 0 {
		return "—"
	}
	return fmt.Sprintf("%.1f ms", float64(x.ServerCPU)/float64(time.Millisecond)/float64(x.Hosts))
}

// bound is the least wall time the CPU a run used allows on cpus cores.
func bound(x Run, ok bool, cpus int) string {
	if !ok || cpus < 1 || x.ServerCPU <= 0 {
		return "—"
	}
	return fmt.Sprintf("%s / %s", seconds((x.ControllerCPU+x.ServerCPU)/time.Duration(cpus)), seconds(x.Wall))
}
