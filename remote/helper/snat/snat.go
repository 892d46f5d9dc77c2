// Package snat keeps push's source-NAT rules in an nftables table of its
// own.
//
// Why nftables through github.com/google/nftables and not iptables:
//   - A table of push's own ("table ip push") is a namespace nobody else
//     writes to. Docker (iptables-nft or legacy) keeps its rules in the
//     "ip nat" and "ip filter" tables and rewrites them on every restart;
//     it never touches ours, so a Docker restart cannot lose or duplicate
//     push's SNAT rules, and push cannot disturb Docker's.
//   - The whole table is replaced in one netlink batch ("add table; delete
//     table; add table, chain, rules"), which the kernel commits
//     atomically: there is no moment with no rule or with a rule twice,
//     and applying twice leaves each rule exactly once.
//   - The library speaks netlink directly, so the helper stays one static
//     binary with no iptables or nft program on the host, and reading the
//     rules back (for drift) needs no parsing of command output.
package snat

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"sort"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"github.com/google/nftables/userdata"
	"golang.org/x/sys/unix"

	"github.com/kasmfleet/push/remote/proto"
)

// Table and Chain are push's own nftables objects.
const (
	Table = "push"
	Chain = "postrouting"
)

// Priority of push's chain: one before srcnat (100), where iptables'
// nat POSTROUTING chain runs (iptables-nft and legacy alike). NAT takes
// the first mapping a chain makes for a connection, so while a
// hand-made rule for the same subnet still exists during adoption,
// push's decides, and the source address never changes under a flow.
var Priority = nftables.ChainPriorityRef(*nftables.ChainPriorityNATSource - 1)

// Rules reads and replaces push's table. NetNS, when non-zero, is an open
// network namespace file descriptor to work in (tests).
type Rules struct {
	NetNS int
}

func (r Rules) conn() (*nftables.Conn, error) { return Conn(r.NetNS) }

// Conn is a netlink connection to nftables in the network namespace netns
// (an open fd; 0: the current one).
func Conn(netns int) (*nftables.Conn, error) {
	var opts []nftables.ConnOption
	if netns != 0 {
		opts = append(opts, nftables.WithNetNSFd(netns))
	}
	c, err := nftables.New(opts...)
	if err != nil {
		return nil, fmt.Errorf("nftables: %w", err)
	}
	return c, nil
}

// State is what push's table holds.
type State struct {
	Exists bool
	// ChainOK is false when the chain is missing or not a srcnat
	// postrouting nat chain.
	ChainOK bool
	Rules   []proto.SNATRule
	// Foreign counts rules push did not write (or cannot read back).
	Foreign int
}

// Read returns the table's rules as push wrote them.
func (r Rules) Read() (State, error) {
	c, err := r.conn()
	if err != nil {
		return State{}, err
	}
	t, err := c.ListTableOfFamily(Table, nftables.TableFamilyIPv4)
	if errors.Is(err, unix.ENOENT) {
		return State{}, nil
	}
	if err != nil {
		return State{}, fmt.Errorf("nftables: list table ip %s: %w", Table, err)
	}
	st := State{Exists: true}
	ch, err := c.ListChain(t, Chain)
	if errors.Is(err, unix.ENOENT) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("nftables: list chain ip %s %s: %w", Table, Chain, err)
	}
	st.ChainOK = ch.Type == nftables.ChainTypeNAT && ch.Hooknum != nil &&
		*ch.Hooknum == *nftables.ChainHookPostrouting && ch.Priority != nil &&
		*ch.Priority == *Priority
	rules, err := c.GetRules(t, ch)
	if err != nil {
		return st, fmt.Errorf("nftables: list rules of ip %s %s: %w", Table, Chain, err)
	}
	for _, rl := range rules {
		if s, ok := parse(rl.Exprs); ok {
			st.Rules = append(st.Rules, s)
		} else {
			st.Foreign++
		}
	}
	return st, nil
}

// Replace makes the table hold exactly rules, in one atomic batch.
func (r Rules) Replace(rules []proto.SNATRule) error {
	sorted := Sorted(rules)
	built := make([][]expr.Any, 0, len(sorted))
	for _, s := range sorted {
		e, err := build(s)
		if err != nil {
			return err
		}
		built = append(built, e)
	}
	c, err := r.conn()
	if err != nil {
		return err
	}
	t := &nftables.Table{Name: Table, Family: nftables.TableFamilyIPv4}
	// add + delete + add: the delete cannot fail on a missing table, and
	// the batch swaps old contents for new in one commit.
	c.AddTable(t)
	c.DelTable(t)
	c.AddTable(t)
	ch := c.AddChain(&nftables.Chain{
		Name: Chain, Table: t, Type: nftables.ChainTypeNAT,
		Hooknum: nftables.ChainHookPostrouting, Priority: Priority,
	})
	for i, e := range built {
		c.AddRule(&nftables.Rule{Table: t, Chain: ch, Exprs: e,
			UserData: userdata.AppendString(nil, userdata.TypeComment, "push: "+sorted[i].Bridge)})
	}
	if err := c.Flush(); err != nil {
		return fmt.Errorf("nftables: replace table ip %s: %w", Table, err)
	}
	return nil
}

// Delete removes push's table; a missing table is not an error.
func (r Rules) Delete() error {
	c, err := r.conn()
	if err != nil {
		return err
	}
	t := &nftables.Table{Name: Table, Family: nftables.TableFamilyIPv4}
	c.AddTable(t)
	c.DelTable(t)
	if err := c.Flush(); err != nil {
		return fmt.Errorf("nftables: delete table ip %s: %w", Table, err)
	}
	return nil
}

// Sorted returns rules in a stable order (by bridge, then subnet).
func Sorted(rules []proto.SNATRule) []proto.SNATRule {
	out := append([]proto.SNATRule(nil), rules...)
	sort.Slice(out, func(i, j int) bool {
		if out[i].Bridge != out[j].Bridge {
			return out[i].Bridge < out[j].Bridge
		}
		return out[i].Subnet < out[j].Subnet
	})
	return out
}

// build renders: ip saddr SUBNET oifname != BRIDGE snat ip to SOURCE.
func build(s proto.SNATRule) ([]expr.Any, error) {
	pfx, err := netip.ParsePrefix(s.Subnet)
	if err != nil || !pfx.Addr().Is4() {
		return nil, fmt.Errorf("snat: subnet %q is not an IPv4 CIDR", s.Subnet)
	}
	src, err := netip.ParseAddr(s.SourceIP)
	if err != nil || !src.Is4() {
		return nil, fmt.Errorf("snat: source %q is not an IPv4 address", s.SourceIP)
	}
	if s.Bridge == "" || len(s.Bridge) >= unix.IFNAMSIZ {
		return nil, fmt.Errorf("snat: bridge name %q is empty or too long", s.Bridge)
	}
	pfx = pfx.Masked()
	mask := prefixMask(pfx.Bits())
	net4 := pfx.Addr().As4()
	src4 := src.As4()
	return []expr.Any{
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: 12, Len: 4},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: mask[:], Xor: []byte{0, 0, 0, 0}},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: net4[:]},
		&expr.Meta{Key: expr.MetaKeyOIFNAME, Register: 1},
		&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: ifname(s.Bridge)},
		&expr.Immediate{Register: 1, Data: src4[:]},
		&expr.NAT{Type: expr.NATTypeSourceNAT, Family: unix.NFPROTO_IPV4, RegAddrMin: 1},
	}, nil
}

// parse reads back a rule build wrote; ok is false for anything else.
func parse(exprs []expr.Any) (proto.SNATRule, bool) {
	if len(exprs) != 7 {
		return proto.SNATRule{}, false
	}
	pl, ok1 := exprs[0].(*expr.Payload)
	bw, ok2 := exprs[1].(*expr.Bitwise)
	net, ok3 := exprs[2].(*expr.Cmp)
	meta, ok4 := exprs[3].(*expr.Meta)
	oif, ok5 := exprs[4].(*expr.Cmp)
	imm, ok6 := exprs[5].(*expr.Immediate)
	nat, ok7 := exprs[6].(*expr.NAT)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7) {
		return proto.SNATRule{}, false
	}
	if pl.Base != expr.PayloadBaseNetworkHeader || pl.Offset != 12 || pl.Len != 4 ||
		len(bw.Mask) != 4 || net.Op != expr.CmpOpEq || len(net.Data) != 4 ||
		meta.Key != expr.MetaKeyOIFNAME || oif.Op != expr.CmpOpNeq ||
		len(imm.Data) != 4 || nat.Type != expr.NATTypeSourceNAT || nat.RegAddrMin != imm.Register ||
		nat.Specified || nat.RegProtoMin != 0 {
		return proto.SNATRule{}, false
	}
	bits := maskBits(bw.Mask)
	if bits < 0 {
		return proto.SNATRule{}, false
	}
	pfx := netip.PrefixFrom(netip.AddrFrom4([4]byte(net.Data)), bits)
	return proto.SNATRule{
		Subnet:   pfx.Masked().String(),
		Bridge:   string(bytes.TrimRight(oif.Data, "\x00")),
		SourceIP: netip.AddrFrom4([4]byte(imm.Data)).String(),
	}, true
}

func prefixMask(bits int) [4]byte {
	var m [4]byte
	for i := 0; i < bits; i++ {
		m[i/8] |= 0x80 >> (i % 8)
	}
	return m
}

// maskBits is the prefix length of a contiguous mask, or -1.
func maskBits(m []byte) int {
	bits, done := 0, false
	for _, b := range m {
		for i := 7; i >= 0; i-- {
			set := b&(1<<i) != 0
			switch {
			case set && done:
				return -1
			case set:
				bits++
			default:
				done = true
			}
		}
	}
	return bits
}

// ifname pads a name the way the kernel compares oifname (IFNAMSIZ).
func ifname(n string) []byte {
	b := make([]byte, unix.IFNAMSIZ)
	copy(b, n)
	return b
}
