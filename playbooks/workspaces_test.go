package playbooks

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kasmfleet/push/remote/proto"
	"github.com/kasmfleet/push/runner"
)

// kasmRecorder stands in for Kasm and the hosts in tests of the
// workspaces step's logic; remote/kasm itself is tested against the
// contract double.
type kasmRecorder struct {
	trace      []string
	disabled   []string          // agents disabled in Kasm
	unknown    []string          // agents Kasm does not list
	missing    map[string]string // host → a network it does not have
	held       map[string]Restriction
	agentsErr  error
	restrictTo error // Restrict fails
}

func (k *kasmRecorder) logf(format string, a ...any) {
	k.trace = append(k.trace, fmt.Sprintf(format, a...))
}

func (k *kasmRecorder) Agents(context.Context) ([]KasmAgent, error) {
	k.logf("kasm get_servers")
	if k.agentsErr != nil {
		return nil, k.agentsErr
	}
	var out []KasmAgent
	for _, h := range []string{"kasm-agent-1", "kasm-agent-2", "kasm-agent-3"} {
		if !slices.Contains(k.unknown, h) {
			out = append(out, KasmAgent{Hostname: h, Enabled: !slices.Contains(k.disabled, h)})
		}
	}
	return out, nil
}

func (k *kasmRecorder) Restriction(_ context.Context, name string) (Restriction, error) {
	k.logf("kasm read %s", name)
	return k.held[name], nil
}

func (k *kasmRecorder) Restrict(_ context.Context, name string, want Restriction) (Restriction, error) {
	k.logf("kasm restrict %s: %s", name, want)
	if k.restrictTo != nil {
		return k.held[name], k.restrictTo
	}
	k.held[name] = want
	return want, nil
}

// Helper answers as a converged host: its spec's networks are there, but
// for the one the case says is missing.
func (k *kasmRecorder) Helper(_ context.Context, h Host, req proto.Request, _ func(string)) (proto.Result, int, error) {
	res := proto.Result{Agent: h.Name, Facts: &proto.Facts{}}
	for _, b := range req.Spec.Bridges {
		if k.missing[h.Name] != b.Name {
			res.Facts.Docker.Networks = append(res.Facts.Docker.Networks, proto.DockerNetwork{Name: b.Name, Managed: true})
		}
	}
	return res, proto.ExitOK, nil
}

// TestWorkspacesPlay plays apply, plan and check over the workspaces
// inventory (Chrome - Enclave 2 on z_enclave_2 of agents 1 and 2; Firefox
// on z_enclave_2 and z_enclave_3 of agent 3) and compares what was asked
// of Kasm and the outcome with testdata/workspaces/<case>.txt.
func TestWorkspacesPlay(t *testing.T) {
	want := Desire(load(t, filepath.Join("..", "inventory", "testdata", "valid", "workspaces.hcl")))
	chrome := Restriction{Restricted: true, Networks: []string{"z_enclave_2"}}
	firefox := Restriction{Restricted: true, Networks: []string{"z_enclave_3", "z_enclave_2"}, AllowSelection: true}
	tests := []struct {
		name string
		mode Mode
		k    kasmRecorder
	}{
		{"apply", ModeApply, kasmRecorder{}},
		{"apply-in-sync", ModeApply, kasmRecorder{held: map[string]Restriction{"Chrome - Enclave 2": chrome, "Firefox": firefox}}},
		{"apply-enclave-3-disabled", ModeApply, kasmRecorder{disabled: []string{"kasm-agent-3"}}},
		{"apply-refused", ModeApply, kasmRecorder{restrictTo: errors.New("kasm public/update_image: Kasm says: Unauthorized")}},
		{"plan", ModePlan, kasmRecorder{held: map[string]Restriction{"Firefox": firefox}, missing: map[string]string{"kasm-agent-3": "z_enclave_3"}}},
		{"check", ModeCheck, kasmRecorder{held: map[string]Restriction{"Chrome - Enclave 2": chrome, "Firefox": firefox}}},
		{"check-drift", ModeCheck, kasmRecorder{held: map[string]Restriction{"Chrome - Enclave 2": {Restricted: true, Networks: []string{"z_enclave_2"}, AllowSelection: true}},
			disabled: []string{"kasm-agent-1"}, unknown: []string{"kasm-agent-2"}}},
		{"check-missing-network", ModeCheck, kasmRecorder{held: map[string]Restriction{"Chrome - Enclave 2": chrome, "Firefox": firefox},
			missing: map[string]string{"kasm-agent-3": "z_enclave_3"}}},
		{"check-kasm-unreachable", ModeCheck, kasmRecorder{agentsErr: errors.New("kasm admin/get_servers: HTTP 503")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k := &tc.k
			if k.held == nil {
				k.held = map[string]Restriction{}
			}
			p := Playbook{Mode: tc.mode, Hosts: want.Hosts, Transport: k, Kasm: k, Workspaces: want.Workspaces,
				Rollout: runner.Options{Forks: 1}}
			o, err := p.Play(context.Background())
			got := strings.Join(k.trace, "\n") + "\n" + describeWorkspaces(tc.mode, o, err)
			path := filepath.Join("testdata", "workspaces", tc.name+".txt")
			if *update {
				os.MkdirAll(filepath.Dir(path), 0o755)
				os.WriteFile(path, []byte(got), 0o644)
			}
			b, rerr := os.ReadFile(path)
			if rerr != nil || string(b) != got {
				t.Errorf("play differs from %s (go test -update rewrites it):\n%s", path, got)
			}
		})
	}
}

func describeWorkspaces(mode Mode, o Outcome, err error) string {
	var b strings.Builder
	if err != nil {
		fmt.Fprintf(&b, "error: %v\n", err)
	}
	for _, w := range o.Workspaces {
		fmt.Fprintf(&b, "workspace %s: changed %t, before %s, after %s, error %v\n", w.Spec.Name, w.Changed, w.Before, w.After, w.Err)
		for _, n := range w.Spec.Networks {
			fmt.Fprintf(&b, "  %s on enabled %s\n", n, strings.Join(w.Carriers[n], " "))
		}
		for _, u := range w.Unplaced {
			fmt.Fprintf(&b, "  unplaced: %s\n", u)
		}
	}
	for _, d := range o.Drift {
		if d.Kind != "workspace" {
			continue
		}
		fmt.Fprintf(&b, "drift %s: %s %s\n", d.Name, d.Status, d.Error)
		for _, x := range d.Drifts {
			fmt.Fprintf(&b, "  %s | %s | want %s | got %s | %s\n", x.Component, x.Object, x.Expected, x.Actual, x.Action)
		}
	}
	fmt.Fprintf(&b, "changed %t\n", o.Changed(mode))
	return b.String()
}
