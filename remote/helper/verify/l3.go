package verify

import (
	"fmt"
	"net"

	"github.com/kasmfleet/push/remote/proto"
)

// routed reports whether v is an ipvlan network in an l3 mode. There
// Docker ignores the gateway: a container gets a default route out of its
// link, its packets leave through the host's routing table (the parent's
// namespace), and its address answers no ARP, so the subnet's router
// must route the agent's ip-range to this host. The probe is made the
// same way, so it reaches the gateway exactly when the containers can.
func routed(v proto.VLANNetwork) bool {
	return v.Driver == "ipvlan" && (v.Mode == "l3" || v.Mode == "l3s")
}

// l3Hint says, for a routed network whose gateway did not answer, where
// the host routes the gateway and what a routed design needs; "" for
// other networks.
func (p Prober) l3Hint(v proto.VLANNetwork, parent string) string {
	if !routed(v) {
		return ""
	}
	via := "nowhere"
	if rs, err := p.h().RouteGet(net.ParseIP(v.Gateway)); err == nil && len(rs) > 0 {
		via = fmt.Sprintf("link %d", rs[0].LinkIndex)
		if l, err := p.h().LinkByIndex(rs[0].LinkIndex); err == nil {
			via = l.Attrs().Name
		}
	}
	return fmt.Sprintf(" (ipvlan %s: Docker ignores the gateway and the host's routing table carries the traffic; the host routes %s out of %s, want %s, and the subnet's router needs a route to %s via this host)",
		v.Mode, v.Gateway, via, parent, v.IPRange)
}
