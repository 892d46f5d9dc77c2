// Package inventory reads push's HCL inventory: it decodes the blocks with
// their source ranges, validates everything that can be known before a host
// is touched, and allocates each agent's slice of every VLAN it serves.
// It is pure: no network, and no disk beyond reading the named files.
package inventory

import (
	"net/netip"
	"slices"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// Inventory is the decoded, validated desired state of a fleet.
type Inventory struct {
	// Files are the parsed sources, for rendering diagnostics with context.
	Files map[string]*hcl.File
	// Dir is the directory of the first file; relative paths resolve there.
	Dir string

	Defaults Defaults
	VSpheres []*VSphere
	Trunks   []*Trunk
	VLANs    []*VLAN
	Egress   []*Egress
	Bridges  []*Bridge
	Groups   []*Group
	Agents   []*Agent
	Rollout  Rollout
	// Kasm is the Kasm deployment agents are drained through, or nil.
	Kasm *Kasm
	// Workspaces are the Kasm workspaces restricted to push's networks.
	Workspaces []*Workspace
}

// Block is what every named block has: its name and where things are.
type Block struct {
	Name      string
	DefRange  hcl.Range // `agent "x"`
	NameRange hcl.Range // `"x"`
	attrs     map[string]hcl.Range
	items     map[string][]hcl.Range // ranges of list elements or map values
	keys      map[string][]string    // keys of map attributes, in source order
	invalid   map[string]bool        // attributes written but not (wholly) readable; reported
}

// Range is the range of attribute attr's expression, or of the block's
// header when the attribute is absent.
func (b Block) Range(attr string) hcl.Range {
	if r, ok := b.attrs[attr]; ok {
		return r
	}
	return b.DefRange
}

// Has reports whether attribute attr was written, not null, and readable.
func (b Block) Has(attr string) bool { _, ok := b.attrs[attr]; return ok }

// unreadable reports whether attribute attr was written but could not be
// read, or not wholly; its problem is reported, so checks that depend on
// its value stay silent.
func (b Block) unreadable(attr string) bool { return b.invalid[attr] }

// ItemRange is the range of element i of a list attribute (or of the value
// for the i-th key of a map attribute, in source order).
func (b Block) ItemRange(attr string, i int) hcl.Range {
	if rs := b.items[attr]; i >= 0 && i < len(rs) {
		return rs[i]
	}
	return b.Range(attr)
}

// KeyRange is the range of the value for key in a map attribute, or of
// the attribute when the key is absent.
func (b Block) KeyRange(attr, key string) hcl.Range {
	return b.ItemRange(attr, slices.Index(b.keys[attr], key))
}

// Defaults are the SSH settings shared by every agent.
type Defaults struct {
	Block
	SSH SSH
	// Adopt lets apply take over hand-made objects that match (as
	// --adopt does); an agent's own setting wins.
	Adopt *bool
}

// SSH is how to reach a host. Empty fields fall back to defaults, then to
// ~/.ssh/config, then to built-in defaults (root, 22).
type SSH struct {
	User         string
	Port         int
	IdentityFile string // absolute, or "" (ssh-agent and ~/.ssh/config)
	KnownHosts   string // absolute, or "" (~/.ssh/known_hosts)
	Become       *bool
	Jump         string
}

// VSphere is a vCenter connection. Empty fields fall back to GOVC_*.
type VSphere struct {
	Block
	URL, Username, Datacenter string
	Password                  Secret
	Insecure                  bool
	Thumbprint, CAFile        string
}

// Secret holds a value that is never printed.
type Secret struct{ value string }

// Reveal returns the secret for the one call that needs it.
func (s Secret) Reveal() string { return s.value }

// String hides the value from fmt, logs and errors.
func (s Secret) String() string {
	if s.value == "" {
		return ""
	}
	return "(sensitive)"
}

// GoString hides the value from %#v.
func (s Secret) GoString() string { return "inventory.Secret(" + s.String() + ")" }

// MarshalText hides the value from encoders.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Trunk is a set of VLANs carried to agents on one NIC, and optionally the
// vSphere port group that trunks them: a distributed port group trunking
// the ranges, or on standard vSwitches a port group with VLAN 4095 on
// each ESXi host.
type Trunk struct {
	Block
	VSphere    string // name of a vsphere block, or ""
	SwitchType string // SwitchDistributed (the default) or SwitchStandard
	Switch     string // the distributed switch, or the hosts' standard vSwitch
	// Hosts are the ESXi hosts of a standard vSwitch trunk; empty: every
	// host of the clusters that run the trunk's agent VMs.
	Hosts     []string
	PortGroup string
	Ranges    []VIDRange
	NIC       string // default trunk NIC of its agents, or "auto"
}

// Switch types of a trunk.
const (
	SwitchDistributed = "distributed"
	SwitchStandard    = "standard"
)

// VIDRange is an inclusive range of VLAN ids.
type VIDRange struct{ Start, End int }

// VLAN is a Docker ipvlan or macvlan network on TRUNK_NIC.ID.
type VLAN struct {
	Block
	Trunk     string
	ID        int
	Subnet    netip.Prefix
	Gateway   netip.Addr
	Network   string
	Driver    string
	Mode      string
	PerAgent  int // prefix length of each agent's slice
	VerifyURL string
	// Subnet6 and Gateway6, when set, make the network dual-stack
	// (Docker's --ipv6); PerAgent6 is the prefix length of each agent's
	// IPv6 slice (default: as many slices as IPv4 has).
	Subnet6   netip.Prefix
	Gateway6  netip.Addr
	PerAgent6 int
}

// Egress is a bridge network whose traffic leaves with a host's address.
type Egress struct {
	Block
	Network    string
	Bridge     string
	Subnet     netip.Prefix
	SourceIP   string // "ADDR" or, with AddAddress, "ADDR/PREFIX"
	AddAddress bool
	VerifyURL  string
}

// Bridge is a plain custom bridge network (the enclave seed).
type Bridge struct {
	Block
	Network string
	Bridge  string
	Subnet  netip.Prefix // zero: Docker chooses
}

// Group lists agents (names or globs) and the networks they serve.
type Group struct {
	Block
	Agents []string
	Serves
}

// Serves names the networks a group or agent serves.
type Serves struct {
	VLANs   []string
	Egress  []string
	Bridges []string
}

// Agent is one Docker host running a Kasm agent.
type Agent struct {
	Block
	Address string
	SSH     SSH
	Adopt   *bool
	VM      string
	// BareMetal: the agent is no VM in the trunk's vCenter (a physical
	// server, or a VM of another hypervisor). vSphere is skipped for it;
	// its trunk NIC is cabled by hand and must be named.
	BareMetal bool
	TrunkNIC  string
	Slot      *int
	Serves    Serves
	IPRanges  map[string]netip.Prefix // vlan name → explicit slice
	SourceIPs map[string]string       // egress name → source address

	// Resolved by validation: what this agent serves, with its addresses.
	Networks AgentNetworks
}

// AgentNetworks is what one agent serves after groups are expanded and
// slices allocated.
type AgentNetworks struct {
	Trunk   *Trunk
	VLANs   []AgentVLAN
	Egress  []AgentEgress
	Bridges []*Bridge
}

// AgentVLAN is a VLAN with this agent's slice of it.
type AgentVLAN struct {
	*VLAN
	IPRange netip.Prefix
	ProbeIP netip.Addr
	// IPRange6 and ProbeIP6 are the agent's IPv6 slice and probe address;
	// zero when the VLAN has no subnet6.
	IPRange6 netip.Prefix
	ProbeIP6 netip.Addr
}

// AgentEgress is an egress network with this agent's source address.
type AgentEgress struct {
	*Egress
	SourceIP string
}

// Rollout is how apply walks the fleet.
type Rollout struct {
	Block
	Batches     []Batch
	MaxFailures Batch // the run stops when more than this many hosts fail
	Pause       time.Duration
	// Drain is how a host whose change needs its sessions gone is
	// drained: DrainKasm, DrainCommand or DrainNone (wait only). Unset
	// means kasm when a kasm block exists, else none.
	Drain string
	// DrainTimeout bounds the wait for a drained host's sessions to end.
	DrainTimeout time.Duration
	// Before and After are the drain = "command" hooks, run by sh on the
	// controller before a host is drained and after it is back.
	Before, After string
}

// Ways to drain a host (rollout drain).
const (
	DrainKasm    = "kasm"
	DrainCommand = "command"
	DrainNone    = "none"
)

// DefaultDrainTimeout is drain_timeout when unset.
const DefaultDrainTimeout = 30 * time.Minute

// Kasm is a Kasm Workspaces deployment: its agents are push's agents of
// the same host name.
type Kasm struct {
	Block
	URL, Username        string
	Password             Secret
	APIKey, APIKeySecret Secret
	CAFile               string
}

// Batch is a host count, or a percentage of the fleet when Percent is set.
type Batch struct {
	N       int
	Percent bool
}
