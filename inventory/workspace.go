package inventory

import (
	"fmt"
	"slices"
	"strings"
)

// Workspace is a Kasm workspace (an "image" in Kasm's API) whose sessions
// may land only on agents that carry its networks: Kasm's "Restrict Image
// to Docker Network", set from the inventory. The block's name is the
// workspace's Friendly Name in Kasm (friendly_name in the API), not its
// Docker image: several workspaces often share one image, one per enclave.
type Workspace struct {
	Block
	// Networks name vlan, egress or bridge blocks, in the order written.
	Networks []string
	// AllowNetworkSelection lets the user choose among the networks when
	// launching a session.
	AllowNetworkSelection bool

	// Resolved by validation: the Docker network name of each of
	// Networks, in the same order.
	DockerNetworks []string
}

func (d *decoder) workspace(b Block, r *attrReader) *Workspace {
	w := &Workspace{Block: b, Networks: r.list("networks"),
		AllowNetworkSelection: deref(r.boolean("allow_network_selection"))}
	if r.empty("networks", w.Networks) {
		d.diags = append(d.diags, errorDiag(b.Range("networks"), "Empty network list",
			"networks = [] restricts the workspace to no network, so no session of it could start. List the vlan, egress or bridge blocks whose networks it may use, or remove the block to leave the workspace as Kasm has it."))
	}
	return w
}

// Workspace returns the workspace named name, or nil.
func (inv *Inventory) Workspace(name string) *Workspace { return named(inv.Workspaces, name) }

// workspaces checks every workspace block: a kasm block to reach, networks
// that exist and that some agent serves.
func (v *validator) workspaces() {
	if len(v.inv.Workspaces) == 0 {
		return
	}
	v.workspaceKasm()
	unknown := v.anyServesUnreadable()
	for _, w := range v.inv.Workspaces {
		for i, n := range w.Networks {
			rng := w.ItemRange("networks", i)
			if slices.Contains(w.Networks[:i], n) {
				v.errorf(rng, "Duplicate network", "Network %q is listed twice in workspace %q.", n, w.Name)
				continue
			}
			docker, kinds := v.networkBlock(n)
			switch {
			case len(kinds) == 0:
				hint := ""
				if s := closest(n, v.networkBlockNames()); s != "" {
					hint = fmt.Sprintf(" Did you mean %q?", s)
				}
				v.errorf(rng, "Reference to undefined network",
					"No vlan, egress or bridge block is named %q; networks names those blocks, not Docker networks.%s", n, hint)
				continue
			case len(kinds) > 1:
				v.errorf(rng, "Ambiguous network",
					"%s blocks are all named %q; rename all but one so the workspace names one network.", strings.Join(kinds, " and "), n)
				continue
			}
			w.DockerNetworks = append(w.DockerNetworks, docker)
			if docker != "" && !unknown && !v.servedByAny(docker) {
				v.errorf(rng, "Network on no agent",
					"No agent serves %s %q (Docker network %q), through a group or its own lists: Kasm would find it on no agent, and no session of workspace %q could start.", kinds[0], n, docker, w.Name)
			}
		}
	}
}

// workspaceKasm checks that workspaces have a kasm block with what their
// calls need: the developer API key (images) and the admin login (agents).
func (v *validator) workspaceKasm() {
	k := v.inv.Kasm
	if k == nil {
		for _, w := range v.inv.Workspaces {
			v.errorf(w.DefRange, "No kasm block",
				"Workspace %q is set through Kasm's API; add a kasm block with its url, username, password, api_key and api_key_secret.", w.Name)
		}
		return
	}
	need := []string{"api_key", "api_key_secret"}
	if v.inv.DrainMethod() != DrainKasm { // else drain reports them
		need = append(need, "username", "password")
	}
	for _, attr := range need {
		if !k.Has(attr) && !k.unreadable(attr) {
			v.errorf(k.DefRange, "Missing "+attr,
				"The argument %q is required to set workspaces through Kasm's API (use env() for secrets).", attr)
		}
	}
}

// networkBlock finds the vlan, egress or bridge block named name: its
// Docker network, and the kinds of block so named.
func (v *validator) networkBlock(name string) (docker string, kinds []string) {
	if b := v.vlanNamed(name); b != nil {
		docker, kinds = b.Network, append(kinds, "vlan")
	}
	if b := v.egressNamed(name); b != nil {
		docker, kinds = b.Network, append(kinds, "egress")
	}
	if b := v.bridgeNamed(name); b != nil {
		docker, kinds = b.Network, append(kinds, "bridge")
	}
	return docker, kinds
}

func (v *validator) networkBlockNames() []string {
	var names []string
	for _, b := range v.inv.VLANs {
		names = append(names, b.Name)
	}
	for _, b := range v.inv.Egress {
		names = append(names, b.Name)
	}
	for _, b := range v.inv.Bridges {
		names = append(names, b.Name)
	}
	return names
}

// servedByAny reports whether some agent serves the Docker network.
func (v *validator) servedByAny(docker string) bool {
	for _, a := range v.inv.Agents {
		if slices.Contains(a.Networks.DockerNames(), docker) {
			return true
		}
	}
	return false
}

// anyServesUnreadable reports whether what some agent serves is unknown,
// its problem reported: a network then is not said to be on no agent.
func (v *validator) anyServesUnreadable() bool {
	return slices.ContainsFunc(v.inv.Agents, func(a *Agent) bool { return v.servesUnreadable(&a.Block) })
}

// DockerNames are the Docker networks the agent serves.
func (n AgentNetworks) DockerNames() []string {
	var names []string
	for _, vl := range n.VLANs {
		names = append(names, vl.Network)
	}
	for _, e := range n.Egress {
		names = append(names, e.Network)
	}
	for _, b := range n.Bridges {
		names = append(names, b.Network)
	}
	return names
}
