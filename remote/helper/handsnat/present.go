package handsnat

import (
	"github.com/google/nftables"
	"github.com/google/nftables/expr"

	"github.com/kasmfleet/push/remote/helper/snat"
)

// Present reports whether the host may hold a SNAT rule push did not
// write, from the kernel alone: the legacy nat table is loaded, or a
// table with a nat chain (other than push's) holds a rule that
// source-NATs (iptables-nft's xt SNAT target, or nftables' own snat).
// Docker's MASQUERADE and DNAT rules are neither. It asks netlink, with
// no program started, so a host without such a rule (every host push set
// up) skips Read's programs; an error reading says yes, and Read decides.
func (h Host) Present() bool {
	if h.legacyNAT() {
		return true
	}
	c, err := snat.Conn(h.NetNS)
	if err != nil {
		return true
	}
	chains, err := c.ListChains()
	if err != nil {
		return true
	}
	nat := natTables(chains)
	for _, ch := range chains {
		if !nat[tableKey{ch.Table.Family, ch.Table.Name}] {
			continue
		}
		rules, err := c.GetRules(ch.Table, ch)
		if err != nil {
			return true
		}
		for _, r := range rules {
			if sourceNATs(r.Exprs) {
				return true
			}
		}
	}
	return false
}

type tableKey struct {
	family nftables.TableFamily
	name   string
}

// natTables are the IPv4 and inet tables, other than push's, with a nat
// base chain: only a chain there, or one it jumps to, can source-NAT.
func natTables(chains []*nftables.Chain) map[tableKey]bool {
	nat := map[tableKey]bool{}
	for _, ch := range chains {
		t := ch.Table
		switch {
		case ch.Type != nftables.ChainTypeNAT:
		case t.Family == nftables.TableFamilyIPv4 && t.Name != snat.Table, t.Family == nftables.TableFamilyINet:
			nat[tableKey{t.Family, t.Name}] = true
		}
	}
	return nat
}

func sourceNATs(exprs []expr.Any) bool {
	for _, e := range exprs {
		switch e := e.(type) {
		case *expr.Target:
			if e.Name == "SNAT" {
				return true
			}
		case *expr.NAT:
			if e.Type == expr.NATTypeSourceNAT {
				return true
			}
		}
	}
	return false
}
