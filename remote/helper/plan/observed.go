package plan

import (
	"net/netip"

	"github.com/kasmfleet/push/remote/helper/docker"
	"github.com/kasmfleet/push/remote/helper/handsnat"
	"github.com/kasmfleet/push/remote/helper/hostnet"
	"github.com/kasmfleet/push/remote/helper/netcfg"
	"github.com/kasmfleet/push/remote/helper/snat"
	"github.com/kasmfleet/push/remote/proto"
)

// Observed is everything about the host that planning needs. The helper
// fills it in by reading the host; tests write it by hand.
type Observed struct {
	NetConfig netcfg.Flavor
	// SessionLinks carry the controller's SSH session.
	SessionLinks []string
	// SessionAddr is the host's address of that session.
	SessionAddr netip.Addr

	ModuleLoaded    bool
	ModulePersisted bool

	// Trunk is the resolved trunk NIC (zero when the spec has none).
	Trunk            hostnet.Link
	TrunkPersisted   bool
	TrunkPersistNote string

	// Networks are Docker's networks by name; those relevant to the spec
	// or managed by push carry their containers.
	Networks map[string]docker.Network
	// Links are the names of links that exist (for VLAN parents).
	Links map[string]bool

	SNAT snat.State
	// HandSNAT are SNAT rules push did not write (iptables, nft).
	HandSNAT  []handsnat.Rule
	Addresses []hostnet.Owner

	// Applied is the last applied spec (nil: none).
	Applied        *proto.HostSpec
	AppliedCurrent bool
	UnitInstalled  bool
	LinkCurrent    bool
}
