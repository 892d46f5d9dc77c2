package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/kasmfleet/push/inventory"
	"github.com/kasmfleet/push/playbooks"
	"github.com/kasmfleet/push/remote/kasm"
)

// workspaces wires the inventory's workspace blocks into pb: the specs and
// Kasm's API. A run limited to some agents leaves workspaces alone: whether
// a network is on an enabled agent is a question about the whole fleet.
func workspaces(inv *inventory.Inventory, pb *playbooks.Playbook, want []playbooks.WorkspaceSpec, limit string) error {
	if len(want) == 0 || limit != "" {
		return nil
	}
	c, err := kasmClient(inv.Kasm)
	if err != nil {
		return err
	}
	pb.Workspaces, pb.Kasm = want, kasmWorkspaces{c}
	return nil
}

func kasmClient(k *inventory.Kasm) (*kasm.Client, error) {
	return kasm.New(kasm.Config{URL: k.URL, Username: k.Username, Password: kasm.Secret(k.Password.Reveal()),
		APIKey: kasm.Secret(k.APIKey.Reveal()), APIKeySecret: kasm.Secret(k.APIKeySecret.Reveal()), CAFile: k.CAFile})
}

// kasmWorkspaces is playbooks.Kasm through remote/kasm.
type kasmWorkspaces struct{ c *kasm.Client }

func (k kasmWorkspaces) Agents(ctx context.Context) ([]playbooks.KasmAgent, error) {
	servers, err := k.c.Servers(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]playbooks.KasmAgent, len(servers))
	for i, s := range servers {
		out[i] = playbooks.KasmAgent{Hostname: s.Hostname, Enabled: s.Enabled}
	}
	return out, nil
}

func (k kasmWorkspaces) Restriction(ctx context.Context, name string) (playbooks.Restriction, error) {
	img, err := k.c.ImageByFriendlyName(ctx, name)
	if err != nil {
		return playbooks.Restriction{}, err
	}
	return fromKasm(img.Restriction), nil
}

func (k kasmWorkspaces) Restrict(ctx context.Context, name string, want playbooks.Restriction) (playbooks.Restriction, error) {
	img, err := k.c.ImageByFriendlyName(ctx, name)
	if err != nil {
		return playbooks.Restriction{}, err
	}
	got, err := k.c.Restrict(ctx, img, kasm.Restriction{Restricted: want.Restricted, Networks: want.Networks, AllowSelection: want.AllowSelection})
	return fromKasm(got.Restriction), err
}

func fromKasm(r kasm.Restriction) playbooks.Restriction {
	return playbooks.Restriction{Restricted: r.Restricted, Networks: r.Networks, AllowSelection: r.AllowSelection}
}

// printWorkspaces tells a person, after the hosts, what apply did or would
// do to each workspace.
func printWorkspaces(w io.Writer, mode playbooks.Mode, ws []playbooks.WorkspaceOutcome) {
	if len(ws) == 0 {
		return
	}
	fmt.Fprintln(w)
	for _, o := range ws {
		name := fmt.Sprintf("workspace %q", o.Spec.Name)
		switch {
		case o.Err != nil:
			fmt.Fprintf(w, "%s: FAILED\n  error: %v\n", name, o.Err)
		case o.Changed && mode == playbooks.ModeApply:
			fmt.Fprintf(w, "%s: 1 change, read back\n  ✓ %s (was %s)\n", name, o.After, o.Before)
		case o.Changed:
			fmt.Fprintf(w, "%s: 1 change pending\n  + %s (now %s)\n", name, o.Spec.Want(), o.Before)
		default:
			fmt.Fprintf(w, "%s: %s, nothing to change\n", name, o.Before)
		}
		for _, u := range o.Unplaced {
			if o.Err == nil {
				fmt.Fprintf(w, "  warning: %s: no session of it can start there\n", u)
			}
		}
	}
}

// workspacesFailed names the workspaces whose outcome is an error.
func workspacesFailed(ws []playbooks.WorkspaceOutcome) string {
	var names []string
	for _, o := range ws {
		if o.Err != nil {
			names = append(names, o.Spec.Name)
		}
	}
	return strings.Join(names, ", ")
}

// workspaceJSON is one workspace in apply's and plan's --json report.
type workspaceJSON struct {
	Name     string              `json:"name"`
	Want     restrictionJSON     `json:"want"`
	Before   restrictionJSON     `json:"before"`
	After    *restrictionJSON    `json:"after,omitempty"`
	Changed  bool                `json:"changed"`
	Carriers map[string][]string `json:"enabled_agents"`
	Unplaced []string            `json:"unplaced,omitempty"`
	Error    string              `json:"error,omitempty"`
}

type restrictionJSON struct {
	Restricted     bool     `json:"restrict_to_network"`
	Networks       []string `json:"restrict_network_names"`
	AllowSelection bool     `json:"allow_network_selection"`
}

func toRestrictionJSON(r playbooks.Restriction) restrictionJSON {
	n := r.Networks
	if n == nil {
		n = []string{}
	}
	return restrictionJSON{Restricted: r.Restricted, Networks: n, AllowSelection: r.AllowSelection}
}

func workspacesJSON(mode playbooks.Mode, ws []playbooks.WorkspaceOutcome) []workspaceJSON {
	var out []workspaceJSON
	for _, o := range ws {
		j := workspaceJSON{Name: o.Spec.Name, Want: toRestrictionJSON(o.Spec.Want()), Before: toRestrictionJSON(o.Before),
			Changed: o.Changed, Carriers: o.Carriers}
		if mode == playbooks.ModeApply {
			after := toRestrictionJSON(o.After)
			j.After = &after
		}
		for _, u := range o.Unplaced {
			j.Unplaced = append(j.Unplaced, u.String())
		}
		if o.Err != nil {
			j.Error = o.Err.Error()
		}
		out = append(out, j)
	}
	return out
}

// printDesiredWorkspaces is plan --offline's part for workspaces.
func printDesiredWorkspaces(w io.Writer, ws []playbooks.WorkspaceSpec) {
	for _, s := range ws {
		fmt.Fprintf(w, "Kasm workspace %q: %s\n\n", s.Name, s.Want())
	}
}
