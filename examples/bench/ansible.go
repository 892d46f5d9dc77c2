package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ansibleSetup is one Ansible project directory: config, inventory and
// the files it copies, made per fleet.
type ansibleSetup struct {
	dir      string // ansible.cfg, inventory.json, files/, cp/
	playbook string // absolute path
}

// ansibleInventory is the YAML inventory plugin's structure (JSON is
// YAML).
type ansibleInventory struct {
	All struct {
		Vars  map[string]any            `json:"vars"`
		Hosts map[string]map[string]any `json:"hosts"`
	} `json:"all"`
}

// ansibleTarget is how Ansible reaches one host.
type ansibleTarget struct {
	Name string
	Addr string
	Port int
}

// ansibleConfig is the tuning, the same for every run: forks = hosts,
// pipelining, ControlPersist masters, no fact gathering, host keys
// checked against the fleet's known_hosts, the linear strategy (or
// BENCH_ANSIBLE_STRATEGY), python3 named so no interpreter discovery runs.
func writeAnsible(dir, playbook string, forks int, strategy, key, knownHosts string, targets []ansibleTarget, vars map[string]any, files map[string][]byte) (*ansibleSetup, error) {
	// ansible.cfg's paths are read relative to where Ansible runs, not
	// to the file: every path in it must be absolute.
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if key, err = filepath.Abs(key); err != nil {
		return nil, err
	}
	if knownHosts, err = filepath.Abs(knownHosts); err != nil {
		return nil, err
	}
	for _, d := range []string{dir, filepath.Join(dir, "files"), filepath.Join(dir, "cp")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	cfg := fmt.Sprintf(`[defaults]
inventory = %[1]s/inventory.json
forks = %[2]d
strategy = %[3]s
gathering = explicit
host_key_checking = True
interpreter_python = /usr/bin/python3
stdout_callback = json
retry_files_enabled = False
deprecation_warnings = False
timeout = 60

[ssh_connection]
pipelining = True
ssh_args = -o ControlMaster=auto -o ControlPersist=60s -o UserKnownHostsFile=%[4]s -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes -o PreferredAuthentications=publickey -o ServerAliveInterval=15
control_path_dir = %[1]s/cp
`, dir, forks, strategy, knownHosts)
	if err := os.WriteFile(filepath.Join(dir, "ansible.cfg"), []byte(cfg), 0o644); err != nil {
		return nil, err
	}
	var inv ansibleInventory
	inv.All.Vars = map[string]any{"ansible_user": "root", "ansible_ssh_private_key_file": key,
		"bench_files": filepath.Join(dir, "files")}
	for k, v := range vars {
		inv.All.Vars[k] = v
	}
	inv.All.Hosts = map[string]map[string]any{}
	for _, t := range targets {
		inv.All.Hosts[t.Name] = map[string]any{"ansible_host": t.Addr, "ansible_port": t.Port}
	}
	b, err := json.MarshalIndent(inv, "", " ")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "inventory.json"), b, 0o644); err != nil {
		return nil, err
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, "files", name), data, 0o644); err != nil {
			return nil, err
		}
	}
	abs, err := filepath.Abs(playbook)
	if err != nil {
		return nil, err
	}
	return &ansibleSetup{dir: dir, playbook: abs}, nil
}

// ansibleOutcome is what the json callback reported.
type ansibleOutcome struct {
	Hosts, Changed, Failed int
	FirstError             string
}

// run runs ansible-playbook (with --check when check) under `bench wrap`
// and returns its wall time (the playbook's own), the CPU of its whole
// tree (ssh clients and ControlPersist masters included) and its recap.
func (a *ansibleSetup) run(ctx context.Context, self string, errLog *os.File, check bool, extra ...string) (Measured, ansibleOutcome, error) {
	// Every run starts without ControlPersist masters, as push and the
	// floor start without connections.
	os.RemoveAll(filepath.Join(a.dir, "cp"))
	os.MkdirAll(filepath.Join(a.dir, "cp"), 0o700)
	out := filepath.Join(a.dir, "out.json")
	args := []string{"wrap", "-out", out, "--", "ansible-playbook", a.playbook}
	if check {
		args = append(args, "--check")
	}
	args = append(args, extra...)
	m, stdout, err := runMeasured(ctx, errLog, self, args, []string{"ANSIBLE_CONFIG=" + filepath.Join(a.dir, "ansible.cfg")})
	if err != nil {
		return m, ansibleOutcome{}, err
	}
	var wr wrapResult
	if err := json.Unmarshal(stdout, &wr); err != nil {
		return m, ansibleOutcome{}, fmt.Errorf("wrap result: %w", err)
	}
	m.Wall = wr.Wall
	o, perr := parseRecap(out)
	if perr != nil {
		return m, o, perr
	}
	if wr.Exit != 0 && o.Failed == 0 {
		return m, o, fmt.Errorf("ansible-playbook exited %d (see %s)", wr.Exit, out)
	}
	return m, o, nil
}

// recap is the part of the json callback's output bench reads.
type recap struct {
	Stats map[string]struct {
		Changed     int `json:"changed"`
		Failures    int `json:"failures"`
		Unreachable int `json:"unreachable"`
	} `json:"stats"`
	Plays []struct {
		Tasks []struct {
			Task  struct{ Name string } `json:"task"`
			Hosts map[string]struct {
				Failed      bool   `json:"failed"`
				Unreachable bool   `json:"unreachable"`
				Msg         any    `json:"msg"`
				Stderr      string `json:"stderr"`
			} `json:"hosts"`
		} `json:"tasks"`
	} `json:"plays"`
}

func parseRecap(path string) (ansibleOutcome, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return ansibleOutcome{}, err
	}
	// Warnings may precede the document.
	if i := strings.IndexByte(string(b), '{'); i > 0 {
		b = b[i:]
	}
	var r recap
	if err := json.Unmarshal(b, &r); err != nil {
		return ansibleOutcome{}, fmt.Errorf("ansible output %s: %w", path, err)
	}
	var o ansibleOutcome
	for _, s := range r.Stats {
		o.Hosts++
		if s.Changed > 0 {
			o.Changed++
		}
		if s.Failures > 0 || s.Unreachable > 0 {
			o.Failed++
		}
	}
	for _, p := range r.Plays {
		for _, t := range p.Tasks {
			for h, res := range t.Hosts {
				if (res.Failed || res.Unreachable) && o.FirstError == "" {
					o.FirstError = fmt.Sprintf("%s: %s: %v %s", h, t.Task.Name, res.Msg, res.Stderr)
				}
			}
		}
	}
	return o, nil
}
