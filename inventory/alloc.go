package inventory

import (
	"fmt"
	"net/netip"
)

// Slices cut a VLAN's subnet into equal slices of prefix length bits and
// skip the one holding the gateway; slot N is the N-th slice left. An
// agent's slice therefore depends only on the subnet, the gateway, the size
// and its own slot: adding or removing other agents never moves it.
type Slices struct {
	Subnet  netip.Prefix
	Gateway netip.Addr
	Bits    int
}

// Count is how many slots the subnet has.
func (s Slices) Count() int {
	if s.Bits < s.Subnet.Bits() || s.Bits > 32 {
		return 0
	}
	n := 1 << (s.Bits - s.Subnet.Bits())
	if s.Subnet.Contains(s.Gateway) {
		n--
	}
	return n
}

// Slot returns slot n's slice.
func (s Slices) Slot(n int) (netip.Prefix, error) {
	if n < 0 || n >= s.Count() {
		return netip.Prefix{}, fmt.Errorf("slot %d is outside 0..%d", n, s.Count()-1)
	}
	idx := n
	if s.Subnet.Contains(s.Gateway) && n >= s.index(s.Gateway) {
		idx++
	}
	base := u32(s.Subnet.Addr()) + uint32(idx)<<(32-s.Bits)
	return netip.PrefixFrom(a4(base), s.Bits), nil
}

// index is the position of the slice that holds a.
func (s Slices) index(a netip.Addr) int {
	return int((u32(a) - u32(s.Subnet.Addr())) >> (32 - s.Bits))
}

// ProbeAddr is the address of slice reserved for verify's probe: its last
// address, or the one before when that is the subnet's broadcast.
func ProbeAddr(slice, subnet netip.Prefix) netip.Addr {
	last := lastAddr(slice)
	if last == lastAddr(subnet) {
		last = last.Prev()
	}
	return last
}

func u32(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

func a4(v uint32) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}
