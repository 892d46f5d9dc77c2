package inventory

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// Slices cut a VLAN's subnet, IPv4 or IPv6, into equal slices of prefix
// length bits and skip the one holding the gateway; slot N is the N-th
// slice left. An agent's slice therefore depends only on the subnet, the
// gateway, the size and its own slot: adding or removing other agents
// never moves it. Slot numbers stay far below 2^62, so 64-bit arithmetic
// on the slice index is enough.
type Slices struct {
	Subnet  netip.Prefix
	Gateway netip.Addr
	Bits    int
}

// Count is how many slots the subnet has, at most 2^62.
func (s Slices) Count() int {
	if s.Bits < s.Subnet.Bits() || s.Bits > s.Subnet.Addr().BitLen() {
		return 0
	}
	n := 1 << min(s.Bits-s.Subnet.Bits(), 62)
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
	idx := uint64(n)
	if s.Subnet.Contains(s.Gateway) && idx >= s.index(s.Gateway) {
		idx++
	}
	a := addShifted(s.Subnet.Addr(), idx, s.Subnet.Addr().BitLen()-s.Bits)
	if s.Subnet.Addr().Is4() {
		a = a.Unmap()
	}
	return netip.PrefixFrom(a, s.Bits), nil
}

// index is the position of the slice that holds a.
func (s Slices) index(a netip.Addr) uint64 {
	hi, lo := u128(a)
	bhi, blo := u128(s.Subnet.Addr())
	dlo := lo - blo
	dhi := hi - bhi
	if lo < blo {
		dhi--
	}
	shift := uint(s.Subnet.Addr().BitLen() - s.Bits)
	switch {
	case shift >= 64:
		return dhi >> (shift - 64)
	case shift == 0:
		return dlo
	}
	return dhi<<(64-shift) | dlo>>shift
}

// addShifted is base + idx<<shift.
func addShifted(base netip.Addr, idx uint64, shift int) netip.Addr {
	hi, lo := u128(base)
	var ahi, alo uint64
	switch {
	case shift >= 128:
	case shift >= 64:
		ahi = idx << (shift - 64)
	case shift == 0:
		alo = idx
	default:
		ahi, alo = idx>>(64-shift), idx<<shift
	}
	nlo := lo + alo
	carry := uint64(0)
	if nlo < lo {
		carry = 1
	}
	return from128(hi+ahi+carry, nlo)
}

// u128 is a as 128 bits, an IPv4 address in its IPv4-mapped form.
func u128(a netip.Addr) (hi, lo uint64) {
	b := a.As16()
	return binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])
}

func from128(hi, lo uint64) netip.Addr {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], hi)
	binary.BigEndian.PutUint64(b[8:], lo)
	return netip.AddrFrom16(b)
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
