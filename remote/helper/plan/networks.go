package plan

import (
	"fmt"
	"sort"
	"strings"

	"github.com/kasmfleet/push/remote/helper/docker"
	"github.com/kasmfleet/push/remote/proto"
)

// Desired is every network the spec wants: VLAN networks, then bridges
// with a subnet of their own, then bridges whose subnet Docker picks (so
// that Docker cannot pick one a later network of the spec needs).
func Desired(spec proto.HostSpec, trunkNIC string) []docker.Network {
	var out, chosen []docker.Network
	for _, v := range spec.VLANs {
		out = append(out, docker.FromVLAN(v, trunkNIC, spec.Agent))
	}
	for _, b := range spec.Bridges {
		if b.Subnet == "" {
			chosen = append(chosen, docker.FromBridge(b, spec.Agent))
		} else {
			out = append(out, docker.FromBridge(b, spec.Agent))
		}
	}
	return append(out, chosen...)
}

func (p *planner) networks() {
	wanted := map[string]bool{}
	for _, want := range Desired(p.spec, p.obs.Trunk.Name) {
		want := want
		wanted[want.Name] = true
		var needs []string
		if want.Driver != "bridge" {
			needs = p.vlanNeeds
		}
		got, exists := p.obs.Networks[want.Name]
		if !exists {
			s := Step{Action: proto.Action{Kind: proto.ActCreateNetwork, Target: want.Name,
				Summary:  "create Docker network " + want.Name + " (" + Describe(want) + ")",
				Expected: Describe(want), Actual: Absent}, Needs: needs, Network: &want}
			p.add(s)
			continue
		}
		diff := docker.Diff(want, got)
		parentMissing := false
		if parent := want.Options[docker.OptParent]; parent != "" && len(diff) == 0 && !p.obs.Links[parent] {
			diff = append(diff, "parent "+parent+" is missing")
			parentMissing = true
		}
		if len(diff) == 0 {
			if !got.Owned() {
				p.adoptNetwork(want, got)
			}
			continue
		}
		s := Step{Action: proto.Action{Kind: proto.ActReplaceNetwork, Target: want.Name, Summary: fmt.Sprintf(
			"replace Docker network %s (%s): delete and create (%s)", want.Name, strings.Join(diff, "; "), Describe(want))},
			Needs: needs, Network: &want}
		s.Expected, s.Actual = networkDrift(want, got, parentMissing)
		s.Outcome, s.Error = p.replaceRefusal(want.Name, got, diff)
		if s.Outcome == proto.OutcomeRefused && (got.Owned() || p.opts.Adopt) {
			s.Busy = got.Containers // a drain is all it needs
			p.forceDisconnect(&s)
		}
		p.add(s)
	}
	if !p.opts.Prune {
		return
	}
	var stale []string
	for name, n := range p.obs.Networks {
		if n.Owned() && !wanted[name] {
			stale = append(stale, name)
		}
	}
	sort.Strings(stale)
	for _, name := range stale {
		n := p.obs.Networks[name]
		s := Step{Action: proto.Action{Kind: proto.ActRemoveNetwork, Target: name, Summary: fmt.Sprintf(
			"remove Docker network %s (%s; %s, no longer in the spec)", name, Describe(n), ownedBy(n)),
			Expected: Absent, Actual: Describe(n), Extra: true}}
		if len(n.Containers) > 0 {
			s.Outcome = proto.OutcomeRefused
			s.Error = "containers attached: " + strings.Join(n.Containers, ", ")
			s.Busy = n.Containers
			p.forceDisconnect(&s)
		}
		p.add(s)
	}
}

// forceDisconnect turns a step refused only for its busy containers into
// one that disconnects them first, when the run forces it.
func (p *planner) forceDisconnect(s *Step) {
	if !p.opts.ForceDisconnect || len(s.Busy) == 0 {
		return
	}
	s.Outcome, s.Error, s.Disconnect = proto.OutcomePending, "", s.Busy
	s.Summary += fmt.Sprintf("; first disconnects %s (--force-disconnect: their sessions lose this network)", strings.Join(s.Busy, ", "))
}

// adoptNetwork plans taking over a hand-made network that matches the
// spec: push records it as its own; the network is not touched.
func (p *planner) adoptNetwork(want, got docker.Network) {
	s := Step{Action: proto.Action{Kind: proto.ActAdoptNetwork, Target: want.Name,
		Summary:  fmt.Sprintf("adopt Docker network %s (made by hand, matches the spec: %s), no change", want.Name, Describe(got)),
		Expected: "push's (created or adopted)", Actual: "made by hand, not adopted"}, Network: &got}
	if !p.opts.Adopt {
		s.Summary += "; needs --adopt"
	}
	p.add(s)
}

// replaceRefusal says why a network that differs cannot be replaced, or
// pending when it can: a hand-made network only with --adopt, and no
// network while containers (sessions) are attached.
func (p *planner) replaceRefusal(name string, got docker.Network, diff []string) (proto.Outcome, string) {
	busy := ""
	if len(got.Containers) > 0 {
		busy = fmt.Sprintf("containers attached (%s): changing it needs them drained first (sessions ended or moved)", strings.Join(got.Containers, ", "))
	}
	switch {
	case !got.Owned() && busy != "":
		return proto.OutcomeRefused, fmt.Sprintf("network %s was made by hand and differs from the spec (%s); %s, then push apply --adopt replaces it",
			name, strings.Join(diff, "; "), busy)
	case !got.Owned() && !p.opts.Adopt:
		return proto.OutcomeRefused, fmt.Sprintf("network %s was made by hand and differs from the spec (%s); no containers are attached: push apply --adopt replaces it, or remove it or choose another name",
			name, strings.Join(diff, "; "))
	case busy != "":
		return proto.OutcomeRefused, busy
	}
	return proto.OutcomePending, ""
}

func ownedBy(n docker.Network) string {
	if n.Managed() {
		return "created by push"
	}
	return "adopted by push"
}

// Describe says what a network is, in a few words: "ipvlan l2, parent
// eth1.150, ip-range 192.0.2.16/28" or "bridge z_custom_a, subnet
// 172.19.0.0/16, no masquerade".
func Describe(n docker.Network) string {
	var parts []string
	switch n.Driver {
	case "ipvlan":
		parts = append(parts, "ipvlan "+n.Options[docker.OptIPVlanMode], "parent "+n.Options[docker.OptParent])
	case "macvlan":
		parts = append(parts, "macvlan "+n.Options[docker.OptMacvlanMode], "parent "+n.Options[docker.OptParent])
	case "bridge":
		parts = append(parts, "bridge "+orDefault(n.Options[docker.OptBridgeName], "chosen by Docker"))
	default:
		parts = append(parts, n.Driver)
	}
	if n.Subnet != "" {
		parts = append(parts, "subnet "+n.Subnet)
	} else {
		parts = append(parts, "subnet chosen by Docker")
	}
	if n.IPRange != "" {
		parts = append(parts, "ip-range "+n.IPRange)
	}
	if n.Subnet6 != "" {
		parts = append(parts, "IPv6 subnet6 "+n.Subnet6)
		if n.IPRange6 != "" {
			parts = append(parts, "ip-range6 "+n.IPRange6)
		}
	}
	if n.Driver == "bridge" && n.Options[docker.OptMasquerade] == "false" {
		parts = append(parts, "no masquerade")
	}
	return strings.Join(parts, ", ")
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// SortedNetworks returns the map's networks ordered by name.
func SortedNetworks(m map[string]docker.Network) []docker.Network {
	out := make([]docker.Network, 0, len(m))
	for _, n := range m {
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
