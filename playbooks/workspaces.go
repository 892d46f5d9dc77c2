package playbooks

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/kasmfleet/push/inventory"
	"github.com/kasmfleet/push/remote/proto"
	"github.com/kasmfleet/push/runner"
)

// WorkspaceSpec is a Kasm workspace's wanted network restriction: its
// sessions land only on agents with one of Networks.
type WorkspaceSpec struct {
	Name           string   `json:"name"`     // the workspace's Friendly Name in Kasm
	Networks       []string `json:"networks"` // Docker network names
	AllowSelection bool     `json:"allow_network_selection"`
}

// Want is the restriction the spec asks of Kasm.
func (s WorkspaceSpec) Want() Restriction {
	return Restriction{Restricted: true, Networks: s.Networks, AllowSelection: s.AllowSelection}
}

// workspaceSpecs derives the workspaces' specs from the inventory.
func workspaceSpecs(inv *inventory.Inventory) []WorkspaceSpec {
	var out []WorkspaceSpec
	for _, w := range inv.Workspaces {
		out = append(out, WorkspaceSpec{Name: w.Name, Networks: w.DockerNetworks, AllowSelection: w.AllowNetworkSelection})
	}
	return out
}

// Restriction is where a workspace's sessions may land, as Kasm holds it.
type Restriction struct {
	Restricted     bool
	Networks       []string
	AllowSelection bool
}

// Equal: the same restriction, whatever the order of the networks.
func (r Restriction) Equal(o Restriction) bool {
	a, b := slices.Clone(r.Networks), slices.Clone(o.Networks)
	slices.Sort(a)
	slices.Sort(b)
	return r.Restricted == o.Restricted && r.AllowSelection == o.AllowSelection && slices.Equal(a, b)
}

func (r Restriction) String() string {
	if !r.Restricted {
		return "not restricted to networks"
	}
	s := "restricted to " + strings.Join(r.Networks, ", ")
	if len(r.Networks) == 0 {
		s = "restricted to no network"
	}
	if r.AllowSelection {
		s += ", user selects"
	}
	return s
}

// KasmAgent is an agent as Kasm lists it.
type KasmAgent struct {
	Hostname string
	Enabled  bool
}

// Kasm reads Kasm's agents and reads and sets workspaces' restrictions;
// remote/kasm does the work, cmd/push wires it in.
type Kasm interface {
	Agents(ctx context.Context) ([]KasmAgent, error)
	Restriction(ctx context.Context, workspace string) (Restriction, error)
	// Restrict sets the restriction, leaving the rest of the workspace as
	// it is, and returns it as read back.
	Restrict(ctx context.Context, workspace string, want Restriction) (Restriction, error)
}

// WorkspaceOutcome is what the workspaces step did or found for one.
type WorkspaceOutcome struct {
	Spec   WorkspaceSpec
	Before Restriction // as Kasm had it
	After  Restriction // apply: as read back after the change
	// Carriers are, per network, the enabled agents that have it.
	Carriers map[string][]string
	// Unplaced are the networks no enabled agent has, and why.
	Unplaced []Unplaced
	Changed  bool  // taken (apply) or pending (plan, check)
	Err      error // Kasm could not be read or refused, or apply held back
}

// Unplaced is a network that no enabled agent of the fleet has.
type Unplaced struct {
	Network string
	// Holders are the agents that have it, each with why it does not count
	// ("disabled in Kasm", "not an agent in Kasm").
	Holders []string
}

func (u Unplaced) String() string {
	if len(u.Holders) == 0 {
		return u.Network + " is on no agent"
	}
	return u.Network + " is on no enabled agent (" + strings.Join(u.Holders, "; ") + ")"
}

// workspacesStep sets (apply) or compares (plan, check) each workspace's
// restriction in Kasm, once the hosts have converged. A workspace is set
// only when each of its networks is on at least one agent Kasm has
// enabled. It never stops the run: each workspace's outcome says.
type workspacesStep struct{}

func (workspacesStep) Name() string { return StepWorkspaces }

func (workspacesStep) ShouldRun(p Playbook) bool { return len(p.Workspaces) > 0 }

func (workspacesStep) Run(ctx context.Context, p Playbook, o *Outcome) error {
	agents, err := p.Kasm.Agents(ctx)
	if err != nil {
		for _, s := range p.Workspaces {
			o.Workspaces = append(o.Workspaces, WorkspaceOutcome{Spec: s, Err: fmt.Errorf("kasm agents: %w", err)})
		}
		return nil
	}
	present := networksPresent(p.Mode, o.Fleet, o.Hosts)
	for _, s := range p.Workspaces {
		o.Workspaces = append(o.Workspaces, workspace(ctx, p, s, present, agents))
	}
	return nil
}

// workspace is one workspace's turn.
func workspace(ctx context.Context, p Playbook, s WorkspaceSpec, present map[string][]string, agents []KasmAgent) WorkspaceOutcome {
	w := WorkspaceOutcome{Spec: s, Carriers: map[string][]string{}}
	enabled := map[string]bool{}
	for _, a := range agents {
		enabled[a.Hostname] = a.Enabled || enabled[a.Hostname]
	}
	for _, n := range s.Networks {
		var holders []string
		for _, h := range present[n] {
			on, known := enabled[h]
			switch {
			case on:
				w.Carriers[n] = append(w.Carriers[n], h)
			case known:
				holders = append(holders, h+": disabled in Kasm")
			default:
				holders = append(holders, h+": not an agent in Kasm")
			}
		}
		if len(w.Carriers[n]) == 0 {
			w.Unplaced = append(w.Unplaced, Unplaced{Network: n, Holders: holders})
		}
	}
	before, err := p.Kasm.Restriction(ctx, s.Name)
	if err != nil {
		w.Err = err
		return w
	}
	w.Before, w.After = before, before
	w.Changed = !before.Equal(s.Want())
	if p.Mode == ModeCheck || !w.Changed {
		return w
	}
	if len(w.Unplaced) > 0 {
		w.Err = fmt.Errorf("not restricted: %s", unplacedText(w.Unplaced))
		return w
	}
	if p.Mode == ModeApply {
		w.After, w.Err = p.Kasm.Restrict(ctx, s.Name, s.Want())
	}
	return w
}

func unplacedText(us []Unplaced) string {
	parts := make([]string, len(us))
	for i, u := range us {
		parts[i] = u.String()
	}
	return strings.Join(parts, "; ")
}

// networksPresent maps each Docker network to the hosts of the run that
// have it: as observed (check), as read back after apply (apply), or as
// they will be once apply has run (plan: what is there, and what the
// host's spec wants, for a host that answered).
func networksPresent(mode Mode, fleet runner.Summary, hosts []Host) map[string][]string {
	specs := map[string]proto.HostSpec{}
	for _, h := range hosts {
		specs[h.Name] = h.Spec
	}
	out := map[string][]string{}
	for _, h := range fleet.Hosts {
		if h.Result == nil || h.Result.Error != "" {
			continue
		}
		var names []string
		if f := h.Result.Facts; f != nil {
			for _, n := range f.Docker.Networks {
				names = append(names, n.Name)
			}
		}
		if mode == ModePlan && h.Err == nil {
			spec := specs[h.Host]
			for _, v := range spec.VLANs {
				names = append(names, v.Name)
			}
			for _, b := range spec.Bridges {
				names = append(names, b.Name)
			}
		}
		for _, n := range names {
			if !slices.Contains(out[n], h.Host) {
				out[n] = append(out[n], h.Host)
			}
		}
	}
	for _, hs := range out {
		sort.Strings(hs)
	}
	return out
}

// Drift is the workspace's outcome as a drift report target.
func (w WorkspaceOutcome) Drift() TargetDrift {
	t := TargetDrift{Name: w.Spec.Name, Kind: "workspace", Status: InSync}
	if w.Err != nil {
		t.Status, t.Error = Unknown, w.Err.Error()
		return t
	}
	if w.Changed {
		t.Drifts = append(t.Drifts, Drift{Component: "restriction", Object: "workspace " + w.Spec.Name,
			Expected: w.Spec.Want().String(), Actual: w.Before.String(),
			Action: "set the restriction through Kasm's API (update_image), every other field as it is"})
	}
	for _, u := range w.Unplaced {
		actual := "on no agent"
		if len(u.Holders) > 0 {
			actual = "on no enabled agent: " + strings.Join(u.Holders, "; ")
		}
		t.Drifts = append(t.Drifts, Drift{Component: "enabled agents", Object: "network " + u.Network,
			Expected: "on at least one agent enabled in Kasm", Actual: actual,
			Action: "none: push enables no agent; enable an agent that has " + u.Network + " in Kasm, or serve it on an enabled one"})
	}
	if len(t.Drifts) > 0 {
		t.Status = Drifted
	}
	return t
}
