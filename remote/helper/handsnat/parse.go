package handsnat

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"

	"github.com/kasmfleet/push/remote/helper/snat"
)

// parseSave reads iptables-save output of the nat table; tool is the
// program that deletes its rules ("iptables-nft").
func parseSave(out, origin, tool string) []Rule {
	var rules []Rule
	table := ""
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "*"):
			table = line[1:]
			continue
		case table != "nat" || !strings.HasPrefix(line, "-A "):
			continue
		}
		args := fields(line)
		chain, subnet, to, ok := parseIptables(args)
		if !ok {
			continue
		}
		del := append([]string{tool, "-t", "nat", "-D", chain}, args[2:]...)
		rules = append(rules, Rule{Subnet: subnet, SourceIP: to, Origin: origin, Text: line, del: del})
	}
	return rules
}

// parseIptables reads the arguments of an iptables rule that appends or
// inserts a SNAT of one source subnet to one address.
func parseIptables(args []string) (chain string, subnet netip.Prefix, to netip.Addr, ok bool) {
	target := ""
	for i := 0; i < len(args); i++ {
		a, next := args[i], ""
		if i+1 < len(args) {
			next = args[i+1]
		}
		switch a {
		case "!":
			i++ // a negated match: not a source subnet push can own
			if i+1 < len(args) && strings.HasPrefix(args[i], "-") {
				i++
			}
		case "-A", "--append", "-I", "--insert":
			chain = next
			i++
		case "-s", "--source", "--src":
			subnet = prefix(next)
			i++
		case "-j", "--jump":
			target = next
			i++
		case "--to-source", "--to":
			to = firstAddr(next)
			i++
		}
	}
	ok = chain != "" && target == "SNAT" && subnet.IsValid() && to.IsValid()
	return chain, subnet, to, ok
}

// prefix reads "172.19.0.0/16" or a bare address (a /32).
func prefix(s string) netip.Prefix {
	if p, err := netip.ParsePrefix(s); err == nil && p.Addr().Is4() {
		return p.Masked()
	}
	if a, err := netip.ParseAddr(s); err == nil && a.Is4() {
		return netip.PrefixFrom(a, 32)
	}
	return netip.Prefix{}
}

// firstAddr reads "ADDR", "ADDR:PORTS" or "ADDR-ADDR" when both ends are
// the same address; a real range is not one source address.
func firstAddr(s string) netip.Addr {
	s, _, _ = strings.Cut(s, ":")
	lo, hi, isRange := strings.Cut(s, "-")
	a, err := netip.ParseAddr(lo)
	if err != nil || !a.Is4() || (isRange && hi != lo) {
		return netip.Addr{}
	}
	return a
}

// fields splits a line the way a shell would for plain words and double
// or single quotes (iptables-save quotes comments).
func fields(line string) []string {
	var out []string
	var cur strings.Builder
	quote, in := rune(0), false
	for _, c := range line {
		switch {
		case quote != 0 && c == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(c)
		case c == '"' || c == '\'':
			quote, in = c, true
		case c == ' ' || c == '\t':
			if in {
				out = append(out, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteRune(c)
			in = true
		}
	}
	if in {
		out = append(out, cur.String())
	}
	return out
}

// nftDoc is the part of `nft -j list ruleset` push reads.
type nftDoc struct {
	Nftables []struct {
		Rule *struct {
			Family string            `json:"family"`
			Table  string            `json:"table"`
			Chain  string            `json:"chain"`
			Handle int               `json:"handle"`
			Expr   []json.RawMessage `json:"expr"`
		} `json:"rule"`
	} `json:"nftables"`
}

type nftExpr struct {
	Match *struct {
		Op   string          `json:"op"`
		Left json.RawMessage `json:"left"`
		// Right is "ADDR" or {"prefix": {"addr": ADDR, "len": N}}.
		Right json.RawMessage `json:"right"`
	} `json:"match"`
	SNAT *struct {
		Addr json.RawMessage `json:"addr"`
	} `json:"snat"`
}

// parseNftJSON reads rules written in nftables' own syntax ("ip saddr
// SUBNET ... snat to ADDR"), outside push's table.
func parseNftJSON(out []byte) ([]Rule, error) {
	if len(strings.TrimSpace(string(out))) == 0 {
		return nil, nil
	}
	var doc nftDoc
	if err := json.Unmarshal(out, &doc); err != nil {
		return nil, fmt.Errorf("nft -j list ruleset: %w", err)
	}
	var rules []Rule
	for _, item := range doc.Nftables {
		r := item.Rule
		if r == nil || (r.Family == "ip" && r.Table == snat.Table) {
			continue
		}
		var subnet netip.Prefix
		var to netip.Addr
		for _, raw := range r.Expr {
			var e nftExpr
			if json.Unmarshal(raw, &e) != nil {
				continue
			}
			switch {
			case e.Match != nil && e.Match.Op == "==" && strings.Contains(string(e.Match.Left), `"saddr"`):
				subnet = nftPrefix(e.Match.Right)
			case e.SNAT != nil:
				var a string
				if json.Unmarshal(e.SNAT.Addr, &a) == nil {
					to = firstAddr(a)
				}
			}
		}
		if !subnet.IsValid() || !to.IsValid() {
			continue
		}
		handle := fmt.Sprint(r.Handle)
		rules = append(rules, Rule{Subnet: subnet, SourceIP: to, Origin: Nft,
			Text: fmt.Sprintf("table %s %s chain %s handle %s: ip saddr %s snat to %s", r.Family, r.Table, r.Chain, handle, subnet, to),
			del:  []string{"nft", "delete", "rule", r.Family, r.Table, r.Chain, "handle", handle}})
	}
	return rules, nil
}

func nftPrefix(raw json.RawMessage) netip.Prefix {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return prefix(s)
	}
	var p struct {
		Prefix struct {
			Addr string `json:"addr"`
			Len  int    `json:"len"`
		} `json:"prefix"`
	}
	if json.Unmarshal(raw, &p) == nil {
		return prefix(fmt.Sprintf("%s/%d", p.Prefix.Addr, p.Prefix.Len))
	}
	return netip.Prefix{}
}
