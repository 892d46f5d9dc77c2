// Package handsnat finds the source-NAT rules push did not write — the
// ones admins typed from the bridged-network procedure (`iptables -t nat
// -A POSTROUTING -s SUBNET ! -o BRIDGE -j SNAT --to-source ADDR`) — in
// every place they live: the kernel (iptables-nft, iptables-legacy, or
// nft's own syntax) and the files that add them again at boot. It can
// remove one, live and at boot, once push's own rule is in place.
//
// It reads through the host's own tools (iptables-nft-save,
// iptables-legacy-save, nft -j): a rule iptables-nft wrote is an xt
// target in nftables that only iptables can print, and legacy rules are
// not in nftables at all. A tool that is missing means no rules of its
// kind; iptables-legacy-save runs only when the legacy nat table is
// loaded, since asking for it would load it.
package handsnat

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// Origins of a rule.
const (
	IptablesNFT    = "iptables-nft"
	IptablesLegacy = "iptables-legacy"
	Nft            = "nft"
)

// Rule is one SNAT rule push did not write.
type Rule struct {
	Subnet   netip.Prefix
	SourceIP netip.Addr
	Origin   string
	// Text is the rule as its tool prints it.
	Text string
	// Boot are the lines that add it again at boot.
	Boot []BootCopy
	// del is the command that deletes the live rule.
	del []string
}

// BootCopy is a line of a boot-time file that adds the rule.
type BootCopy struct {
	File string
	Line int // 1-based
	Text string
	// Removable: the line is the rule alone (a save file's -A line, or a
	// plain iptables command), so dropping it changes nothing else.
	Removable bool
}

// String is "file:line".
func (b BootCopy) String() string { return fmt.Sprintf("%s:%d", b.File, b.Line) }

// Where says where a rule lives: "iptables-nft (nat POSTROUTING); at
// boot: /etc/iptables/rules.v4:7".
func (r Rule) Where() string {
	s := r.Origin + ": " + r.Text
	if len(r.Boot) > 0 {
		var b []string
		for _, c := range r.Boot {
			b = append(b, c.String())
		}
		s += "; at boot: " + strings.Join(b, ", ")
	} else {
		s += "; in no boot file push knows"
	}
	return s
}

// Host reads and changes a host's rules. Root prefixes file paths;
// Output runs a program and returns its standard output (nil: run it).
type Host struct {
	Root   string
	Output func(ctx context.Context, name string, args ...string) ([]byte, error)
	// NetNS, when non-zero, is the network namespace fd Present asks.
	NetNS int
}

func (h Host) output(ctx context.Context, name string, args ...string) ([]byte, error) {
	if h.Output != nil {
		return h.Output(ctx, name, args...)
	}
	if _, err := exec.LookPath(name); err != nil {
		return nil, errNoTool
	}
	out, err := exec.CommandContext(ctx, name, args...).Output()
	if ee, ok := err.(*exec.ExitError); ok {
		return out, fmt.Errorf("%s: %w: %s", name, err, strings.TrimSpace(string(ee.Stderr)))
	}
	return out, err
}

var errNoTool = fmt.Errorf("not installed")

// Read lists every SNAT rule outside push's table, with its boot copies.
func (h Host) Read(ctx context.Context) ([]Rule, error) {
	var rules []Rule
	out, err := h.output(ctx, "iptables-nft-save", "-t", "nat")
	switch {
	case err == errNoTool:
		if out, err = h.output(ctx, "iptables-save", "-t", "nat"); err != nil && err != errNoTool {
			return nil, err
		}
		rules = append(rules, parseSave(string(out), "iptables", "iptables")...)
	case err != nil:
		return nil, err
	default:
		rules = append(rules, parseSave(string(out), IptablesNFT, "iptables-nft")...)
	}
	if h.legacyNAT() {
		out, err := h.output(ctx, "iptables-legacy-save", "-t", "nat")
		if err != nil && err != errNoTool {
			return nil, err
		}
		rules = append(rules, parseSave(string(out), IptablesLegacy, "iptables-legacy")...)
	}
	out, err = h.output(ctx, "nft", "-j", "list", "ruleset")
	if err != nil && err != errNoTool {
		return nil, err
	}
	nftRules, err := parseNftJSON(out)
	if err != nil {
		return nil, err
	}
	rules = append(rules, dedupe(nftRules, rules)...)
	copies := h.bootCopies()
	for i := range rules {
		for _, c := range copies {
			if c.subnet == rules[i].Subnet && c.source == rules[i].SourceIP {
				rules[i].Boot = append(rules[i].Boot, c.BootCopy)
			}
		}
	}
	return rules, nil
}

// legacyNAT reports whether the legacy iptables nat table is loaded.
func (h Host) legacyNAT() bool {
	b, err := os.ReadFile(filepath.Join(h.Root, "/proc/net/ip_tables_names"))
	return err == nil && strings.Contains("\n"+string(b), "\nnat\n")
}

// dedupe drops nft rules iptables already reported (a newer iptables-nft
// writes some targets as native nftables expressions).
func dedupe(nft, ipt []Rule) []Rule {
	var out []Rule
	for _, r := range nft {
		dup := false
		for _, o := range ipt {
			dup = dup || (o.Subnet == r.Subnet && o.SourceIP == r.SourceIP && strings.Contains(r.Text, "table ip nat "))
		}
		if !dup {
			out = append(out, r)
		}
	}
	return out
}

// Remove deletes the live rule, then the boot copies that can go
// without touching anything else; it says which ones it left.
func (h Host) Remove(ctx context.Context, r Rule) (left []BootCopy, err error) {
	if len(r.del) == 0 {
		return nil, fmt.Errorf("no way to delete %s rule %s", r.Origin, r.Text)
	}
	if _, err := h.output(ctx, r.del[0], r.del[1:]...); err != nil {
		return nil, fmt.Errorf("delete %s rule %s: %w", r.Origin, r.Text, err)
	}
	// Later lines first, so earlier line numbers of a file stay right.
	boot := slices.SortedFunc(slices.Values(r.Boot), func(a, b BootCopy) int { return b.Line - a.Line })
	for _, c := range boot {
		if !c.Removable {
			left = append(left, c)
			continue
		}
		if err := h.dropLine(c); err != nil {
			return left, err
		}
	}
	return left, nil
}
