package playbooks

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kasmfleet/push/remote/proto"
	"github.com/kasmfleet/push/runner"
)

// recorder stands in for vCenter and the hosts' transport in tests of the
// flow's logic: it writes down what each step asks and answers as the case
// says. vCenter, SSH and the helper themselves are tested against vcsim,
// sshd and the lab.
type recorder struct {
	trace    []string
	vsErr    error
	macs     map[string]string
	unreach  string // this host's transport fails
	changing bool   // hosts have changes
}

func (r *recorder) logf(format string, a ...any) {
	r.trace = append(r.trace, fmt.Sprintf(format, a...))
}

func (r *recorder) Trunk(_ context.Context, mode Mode, spec proto.VSphereSpec) TrunkOutcome {
	var vms []string
	for _, vm := range spec.VMs {
		vms = append(vms, vm.Agent)
	}
	r.logf("vcenter %s: trunk %s/%s, VMs %s", mode, spec.Server, spec.Trunk, strings.Join(vms, " "))
	return TrunkOutcome{Spec: spec, MACs: r.macs, Err: r.vsErr, Changed: true,
		Changes: []VSphereChange{{Component: "port group", Object: "port group " + spec.PortGroup, Action: "reconfigure"}}}
}

func (r *recorder) Helper(_ context.Context, h Host, req proto.Request, step func(string)) (proto.Result, int, error) {
	step("connect")
	mac := "-"
	if req.Spec.Trunk != nil {
		mac = req.Spec.Trunk.NIC + req.Spec.Trunk.MAC
	}
	r.logf("helper %s: %s prune=%t verify=%t holder=%s trunk=%s", h.Name, req.Verb, req.Options.Prune, req.Options.Verify, req.Options.Holder, mac)
	if h.Name == r.unreach {
		return proto.Result{}, 0, errors.New("connection refused")
	}
	res := proto.Result{Agent: h.Name}
	if !r.changing {
		return res, proto.ExitOK, nil
	}
	outcome, exit := proto.OutcomePending, proto.ExitChanges
	if req.Verb == proto.VerbApply {
		outcome, exit = proto.OutcomeDone, proto.ExitOK
	}
	res.Actions = []proto.Action{{Kind: proto.ActCreateNetwork, Target: "z_vlan150", Summary: "create network z_vlan150", Outcome: outcome}}
	return res, exit, nil
}

// TestPlay plays each mode over the "everything" inventory (a distributed
// switch trunk, kasm-agent-1 with trunk_nic = "auto", kasm-agent-2 with
// its NIC named) and compares what each step asked and the outcome with
// testdata/play/<case>.txt.
func TestPlay(t *testing.T) {
	want := Desire(load(t, filepath.Join("..", "inventory", "testdata", "valid", "everything.hcl")))
	macs := map[string]string{"kasm-agent-1": "00:50:56:aa:00:01", "kasm-agent-2": "00:50:56:aa:00:02"}
	tests := []struct {
		name  string
		mode  Mode
		limit string // one agent
		rec   recorder
	}{
		{"apply", ModeApply, "", recorder{macs: macs, changing: true}},
		{"apply-limited", ModeApply, "kasm-agent-2", recorder{macs: macs}},
		{"apply-vsphere-fails", ModeApply, "", recorder{vsErr: errors.New("vsphere vc: login refused")}},
		{"apply-no-mac", ModeApply, "", recorder{}},
		{"plan-no-mac", ModePlan, "", recorder{changing: true}},
		{"check", ModeCheck, "", recorder{macs: macs, changing: true, unreach: "kasm-agent-2"}},
		{"check-vsphere-fails", ModeCheck, "", recorder{vsErr: errors.New("vsphere vc: login refused")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := &tc.rec
			hosts := want.Hosts
			if tc.limit != "" {
				hosts = nil
				for _, h := range want.Hosts {
					if h.Name == tc.limit {
						hosts = append(hosts, h)
					}
				}
			}
			p := Playbook{Mode: tc.mode, Trunks: want.VSphere, Hosts: hosts, VCenter: rec, Transport: rec,
				Run: RunOptions{Prune: true, Holder: "me@here"},
				// One host at a time, so the trace has one order; two
				// batches in apply, everyone at once in plan and check.
				Rollout: runner.Options{Forks: 1, Batches: []runner.Size{{N: 1}}, Events: func(e runner.Event) {
					if e.Kind == runner.EventBatch {
						rec.logf("batch %d: %s", e.Batch, strings.Join(e.Hosts, " "))
					}
				}}}
			o, err := p.Play(context.Background())
			got := strings.Join(rec.trace, "\n") + "\n" + describe(tc.mode, o, err)
			path := filepath.Join("testdata", "play", tc.name+".txt")
			if *update {
				os.WriteFile(path, []byte(got), 0o644)
			}
			b, rerr := os.ReadFile(path)
			if rerr != nil || string(b) != got {
				t.Errorf("play differs from %s (go test -update rewrites it):\n%s", path, got)
			}
		})
	}
}

// describe is the outcome in a few lines.
func describe(mode Mode, o Outcome, err error) string {
	var b strings.Builder
	var se *StepError
	if errors.As(err, &se) {
		fmt.Fprintf(&b, "stopped at step %s: %v\n", se.Step, se.Err)
	}
	for _, h := range o.Fleet.Hosts {
		fmt.Fprintf(&b, "host %s: %s, batch %d, exit %d, answered %t, error %v\n", h.Host, h.State, h.Batch, h.Exit, h.Result != nil, h.Err)
	}
	for _, d := range o.Drift {
		fmt.Fprintf(&b, "drift %s %s: %s %d differences %s\n", d.Kind, d.Name, d.Status, len(d.Drifts), d.Error)
	}
	fmt.Fprintf(&b, "changed %t\n", o.Changed(mode))
	return b.String()
}

func TestSteps(t *testing.T) {
	var b strings.Builder
	for _, m := range []Mode{ModeApply, ModePlan, ModeCheck} {
		var names []string
		for _, s := range Steps(m) {
			names = append(names, s.Name())
		}
		fmt.Fprintf(&b, "%s: %s\n", m, strings.Join(names, " → "))
	}
	want := "apply: vsphere → trunk MACs → hosts → workspaces\nplan: vsphere → trunk MACs → hosts → workspaces\ncheck: vsphere → trunk MACs → hosts → workspaces → drift\n"
	if b.String() != want {
		t.Errorf("steps:\n%s\nwant:\n%s", b.String(), want)
	}
}
