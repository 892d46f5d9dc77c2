package importinv

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/kasmfleet/push/inventory"
)

// layout is the inventory import will write.
type layout struct {
	notes  []string // about the whole fleet: unreachable hosts
	blocks []*block
	groups []group
	agents []*agent
	trunk  *VSphereTrunk
	nic    string // the trunk's NIC when every agent agrees
}

// block is one vlan, egress or bridge block and the hosts it was seen on.
type block struct {
	seen              // as the first member saw it
	members  []seen   // one per agent serving it
	perAgent int      // vlan
	subnetOK bool     // bridge: one subnet everywhere, written
	notes    []string // where the fleet disagrees about it
}

func (b *block) name() string { return b.network }

type group struct {
	name   string
	agents []string
	blocks []*block
}

// agent is one agent block.
type agent struct {
	Host
	index     int // in Fleet.Hosts
	nic       string
	vm        string
	bareMetal bool // on the vSphere trunk, but no VM in vCenter is this agent
	slot      *int
	blocks    []*block // served; those of its group are not written here
	group     *group
	ipRanges  map[string]netip.Prefix
	sourceIPs map[string]string
	notes     []string
}

func plan(f Fleet) layout {
	var l layout
	var all []seen
	for i, h := range f.Hosts {
		if h.Facts == nil {
			name := h.Name
			if h.Address != h.Name {
				name += " (" + h.Address + ")"
			}
			l.notes = append(l.notes, fmt.Sprintf("%s was not read: %s", name, h.Err))
			continue
		}
		a := &agent{Host: h, index: i, ipRanges: map[string]netip.Prefix{}, sourceIPs: map[string]string{}}
		s, notes := survey(i, h)
		if p := h.Problem(); p != "" {
			notes = append([]string{p + "; its networks were not read, so it serves nothing here: import it again once Docker answers"}, notes...)
		}
		a.notes = notes
		all = append(all, s...)
		l.agents = append(l.agents, a)
	}
	byHost := map[int]*agent{}
	for _, a := range l.agents {
		byHost[a.index] = a
	}
	l.blocks = chooseBlocks(all, byHost)
	for _, a := range l.agents {
		slices.SortFunc(a.blocks, func(x, y *block) int {
			return cmp.Compare(slices.Index(l.blocks, x), slices.Index(l.blocks, y))
		})
	}
	for _, b := range l.blocks {
		switch b.kind {
		case kindVLAN:
			b.ranges(byHost)
		case kindEgress:
			b.sources(byHost)
		}
	}
	for _, a := range l.agents {
		a.chooseNIC()
		a.chooseSlot()
	}
	l.groups = groups(l.agents)
	l.vsphere(f)
	return l
}

// chooseBlocks states each network once: the variant most agents carry
// wins its name and its subnet; agents with another are told why they do
// not serve it.
func chooseBlocks(all []seen, byHost map[int]*agent) []*block {
	var variants []*block
	index := map[string]*block{}
	for _, s := range all {
		b := index[s.key()]
		if b == nil {
			b = &block{seen: s}
			index[s.key()] = b
			variants = append(variants, b)
		}
		b.members = append(b.members, s)
	}
	slices.SortStableFunc(variants, func(x, y *block) int { return cmp.Compare(len(y.members), len(x.members)) })
	var chosen []*block
	for _, v := range variants {
		if why := conflict(v, chosen); why != "" {
			for _, m := range v.members {
				byHost[m.host].note("network %s here (%s) is not in this inventory: %s; decide which one the fleet keeps", v.network, v.describe(), why)
			}
			continue
		}
		if v.kind == kindBridge {
			v.bridgeSubnet(chosen)
		}
		chosen = append(chosen, v)
		for _, m := range v.members {
			a := byHost[m.host]
			a.blocks = append(a.blocks, v)
		}
	}
	slices.SortStableFunc(chosen, func(x, y *block) int {
		return cmp.Or(cmp.Compare(kindOrder(x.kind), kindOrder(y.kind)), cmp.Compare(x.network, y.network))
	})
	return chosen
}

func kindOrder(k string) int { return slices.Index([]string{kindVLAN, kindEgress, kindBridge}, k) }

// conflict says why v cannot stand beside the blocks already chosen. A
// bridge's subnet yields instead (bridgeSubnet).
func conflict(v *block, chosen []*block) string {
	for _, c := range chosen {
		if c.network == v.network {
			return fmt.Sprintf("%s on %d other agent(s) has %s", c.network, len(c.members), c.describe())
		}
	}
	if c := overlapping(v.subnet, chosen); c != nil && v.kind != kindBridge {
		return fmt.Sprintf("its subnet overlaps %s of network %s", c.subnet, c.network)
	}
	return ""
}

// bridgeSubnet writes a bridge's subnet when every agent has the same one
// and it overlaps no subnet written before; else Docker keeps choosing.
func (b *block) bridgeSubnet(chosen []*block) {
	switch c := overlapping(b.subnet, chosen); {
	case !b.oneSubnet():
		b.note("its subnet differs between agents (Docker chose it on each host); left to Docker")
	case c != nil:
		b.note("its subnet %s overlaps %s of network %s; left to Docker", b.subnet, c.subnet, c.network)
	default:
		b.subnetOK = true
	}
}

// overlapping is the chosen block whose written subnet overlaps p.
func overlapping(p netip.Prefix, chosen []*block) *block {
	for _, c := range chosen {
		if p.IsValid() && (c.kind != kindBridge || c.subnetOK) && c.subnet.Overlaps(p) {
			return c
		}
	}
	return nil
}

func (b *block) oneSubnet() bool {
	return b.subnet.IsValid() && !slices.ContainsFunc(b.members, func(m seen) bool { return m.subnet != b.subnet })
}

func (b *block) describe() string {
	switch b.kind {
	case kindVLAN:
		return fmt.Sprintf("%s %s on VLAN %d, subnet %s, gateway %s", b.driver, b.mode, b.vid, b.subnet, b.gateway)
	case kindEgress:
		return fmt.Sprintf("bridge with SNAT, subnet %s", b.subnet)
	}
	return "bridge"
}

func (b *block) note(format string, args ...any) {
	b.notes = append(b.notes, fmt.Sprintf(format, args...))
}
func (a *agent) note(format string, args ...any) {
	a.notes = append(a.notes, fmt.Sprintf(format, args...))
}

// ranges picks the slice size most agents use and drops a range that
// overlaps an earlier agent's: Docker's IPAM is per host, so nobody saw it.
func (b *block) ranges(byHost map[int]*agent) {
	b.perAgent = mostCommon(b.members, func(m seen) int { return m.ipRange.Bits() })
	var kept []seen
	for _, m := range b.members {
		i := slices.IndexFunc(kept, func(k seen) bool { return k.ipRange.Overlaps(m.ipRange) })
		if i < 0 {
			kept = append(kept, m)
			continue
		}
		other := byHost[kept[i].host].Name
		a := byHost[m.host]
		a.drop(b)
		a.note("ip-range %s of network %s overlaps %s of agent %s; left out here: give one of them another range", m.ipRange, b.network, kept[i].ipRange, other)
		b.note("agent %s's ip-range %s overlaps %s of agent %s; %s is left out", a.Name, m.ipRange, kept[i].ipRange, other, a.Name)
	}
	b.members = kept
}

// sources picks the source address most agents use; the others are
// written per agent.
func (b *block) sources(byHost map[int]*agent) {
	b.sourceIP = mostCommon(b.members, func(m seen) string { return m.sourceIP })
	for _, m := range b.members {
		if m.sourceIP != b.sourceIP {
			byHost[m.host].sourceIPs[b.network] = m.sourceIP
		}
	}
}

func (a *agent) drop(b *block) {
	a.blocks = slices.DeleteFunc(a.blocks, func(x *block) bool { return x == b })
}

// member is how a saw b.
func (a *agent) member(b *block) seen {
	i := slices.IndexFunc(b.members, a.owns)
	return b.members[i]
}

func (a *agent) owns(s seen) bool { return a.index == s.host }

// chooseNIC keeps the VLANs on the agent's first trunk NIC; an agent has one.
func (a *agent) chooseNIC() {
	for _, b := range slices.Clone(a.blocks) {
		if b.kind != kindVLAN {
			continue
		}
		m := a.member(b)
		if a.nic == "" {
			a.nic = m.nic
		} else if m.nic != a.nic {
			a.drop(b)
			b.members = slices.DeleteFunc(b.members, a.owns)
			a.note("network %s is on NIC %s, but this agent's VLANs are on %s; left out: an agent has one trunk NIC", b.network, m.nic, a.nic)
		}
	}
}

// chooseSlot gives the agent the slot most of its ranges agree on; a
// range that is no slot's slice is written as it is.
func (a *agent) chooseSlot() {
	slots := map[*block]int{}
	var cands []int
	for _, b := range a.blocks {
		if b.kind != kindVLAN {
			continue
		}
		if n, ok := slotOf(b, a.member(b).ipRange); ok {
			slots[b] = n
			cands = append(cands, n)
		}
	}
	if len(cands) > 0 {
		slices.Sort(cands)
		n := mostCommon(cands, func(n int) int { return n })
		a.slot = &n
	}
	for _, b := range a.blocks {
		if n, ok := slots[b]; b.kind == kindVLAN && (!ok || a.slot == nil || n != *a.slot) {
			a.ipRanges[b.network] = a.member(b).ipRange
		}
	}
}

// slotOf is the slot whose slice of b is r, as push allocates slices.
func slotOf(b *block, r netip.Prefix) (int, bool) {
	if r.Bits() != b.perAgent || r.Masked() != r {
		return 0, false
	}
	sl := inventory.Slices{Subnet: b.subnet, Gateway: b.gateway, Bits: b.perAgent}
	for n := range sl.Count() {
		if s, err := sl.Slot(n); err == nil && s == r {
			return n, true
		}
	}
	return 0, false
}

// mostCommon is the value of key most items have; the earliest wins a tie.
func mostCommon[T any, K comparable](items []T, key func(T) K) K {
	count := map[K]int{}
	var best K
	for _, it := range items {
		k := key(it)
		count[k]++
		if count[k] > count[best] {
			best = k
		}
	}
	return best
}

// groups gathers agents that serve the same set of networks (two or more).
func groups(agents []*agent) []group {
	var out []group
	for _, a := range agents {
		if len(a.blocks) == 0 {
			continue
		}
		i := slices.IndexFunc(out, func(g group) bool { return slices.Equal(g.blocks, a.blocks) })
		if i < 0 {
			out = append(out, group{blocks: a.blocks})
			i = len(out) - 1
		}
		out[i].agents = append(out[i].agents, a.Name)
	}
	out = slices.DeleteFunc(out, func(g group) bool { return len(g.agents) < 2 })
	taken := map[string]bool{}
	for i := range out {
		out[i].name = groupName(out[i].blocks, len(out) > 1, taken)
		for _, a := range agents {
			if slices.Contains(out[i].agents, a.Name) {
				a.group = &out[i]
			}
		}
	}
	return out
}

func groupName(blocks []*block, several bool, taken map[string]bool) string {
	var names []string
	for _, b := range blocks {
		names = append(names, strings.TrimPrefix(b.network, "z_"))
	}
	name := "agents"
	if several && len(names) <= 3 {
		name = strings.Join(names, "_")
	}
	for i := 2; taken[name]; i++ {
		name = fmt.Sprintf("%s_%d", strings.TrimRight(name, "_0123456789"), i)
	}
	taken[name] = true
	return name
}
