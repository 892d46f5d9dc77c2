package handsnat

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/kasmfleet/push/remote/helper/internal/atomicfile"
)

// Files that add SNAT rules at boot: iptables-persistent's save files,
// rc.local, ifupdown's up lines, and nftables' own configuration.
var (
	saveFiles  = []string{"/etc/iptables/rules.v4", "/etc/iptables.up.rules", "/etc/iptables.rules", "/etc/sysconfig/iptables"}
	shellFiles = []string{"/etc/rc.local", "/etc/network/interfaces", "/etc/network/interfaces.d/*"}
	nftFiles   = []string{"/etc/nftables.conf", "/etc/nftables.d/*"}
)

// bootCopy is a boot line with the rule it adds.
type bootCopy struct {
	BootCopy
	subnet netip.Prefix
	source netip.Addr
}

// bootCopies lists every line of the boot files that adds an SNAT rule.
func (h Host) bootCopies() []bootCopy {
	var out []bootCopy
	each := func(patterns []string, parse func([]string) (netip.Prefix, netip.Addr, bool, bool)) {
		for _, pat := range patterns {
			files, _ := filepath.Glob(filepath.Join(h.Root, pat))
			for _, f := range files {
				b, err := os.ReadFile(f)
				if err != nil {
					continue
				}
				for i, line := range strings.Split(string(b), "\n") {
					words := fields(stripComment(line))
					if subnet, src, removable, ok := parse(words); ok {
						out = append(out, bootCopy{BootCopy: BootCopy{File: hostPath(h.Root, f), Line: i + 1,
							Text: strings.TrimSpace(line), Removable: removable}, subnet: subnet, source: src})
					}
				}
			}
		}
	}
	each(saveFiles, func(w []string) (netip.Prefix, netip.Addr, bool, bool) {
		if len(w) == 0 || w[0] != "-A" {
			return netip.Prefix{}, netip.Addr{}, false, false
		}
		_, s, a, ok := parseIptables(w)
		return s, a, true, ok
	})
	each(shellFiles, parseShellLine)
	each(nftFiles, func(w []string) (netip.Prefix, netip.Addr, bool, bool) {
		s, a, ok := parseNftWords(w)
		return s, a, false, ok
	})
	return out
}

// parseShellLine reads "[up|post-up|pre-up] [sudo] iptables ... -j SNAT
// ...". Only a line that is that one command is removable.
func parseShellLine(w []string) (netip.Prefix, netip.Addr, bool, bool) {
	i := 0
	if i < len(w) && slices.Contains([]string{"up", "post-up", "pre-up"}, w[i]) {
		i++
	}
	if i < len(w) && w[i] == "sudo" {
		i++
	}
	for j := i; j < len(w); j++ {
		if !isIptables(w[j]) {
			continue
		}
		_, s, a, ok := parseIptables(w[j+1:])
		plain := j == i && !slices.ContainsFunc(w, func(x string) bool { return strings.ContainsAny(x, ";&|><`$") })
		return s, a, plain, ok
	}
	return netip.Prefix{}, netip.Addr{}, false, false
}

func isIptables(word string) bool {
	switch filepath.Base(word) {
	case "iptables", "iptables-nft", "iptables-legacy":
		return true
	}
	return false
}

// parseNftWords reads "... ip saddr SUBNET ... snat [ip] to ADDR".
func parseNftWords(w []string) (netip.Prefix, netip.Addr, bool) {
	var s netip.Prefix
	var a netip.Addr
	for i := 0; i+1 < len(w); i++ {
		switch {
		case w[i] == "saddr" && w[i+1] != "!=":
			s = prefix(w[i+1])
		case w[i] == "snat":
			for j := i + 1; j < len(w) && j <= i+3; j++ {
				if w[j-1] == "to" {
					a = firstAddr(strings.TrimSuffix(w[j], ";"))
				}
			}
		}
	}
	return s, a, s.IsValid() && a.IsValid()
}

// hostPath is file f as the host names it (Root taken off).
func hostPath(root, f string) string {
	return "/" + strings.TrimLeft(strings.TrimPrefix(f, root), "/")
}

func stripComment(line string) string {
	line = strings.TrimSpace(line)
	if strings.HasPrefix(line, "#") {
		return ""
	}
	if i := strings.Index(line, " #"); i >= 0 {
		return line[:i]
	}
	return line
}

// dropLine removes one boot line, checking it is still the line read.
func (h Host) dropLine(c BootCopy) error {
	path := filepath.Join(h.Root, c.File)
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("remove boot copy %s: %w", c, err)
	}
	lines := strings.Split(string(b), "\n")
	if c.Line < 1 || c.Line > len(lines) || strings.TrimSpace(lines[c.Line-1]) != c.Text {
		return fmt.Errorf("remove boot copy %s: the file changed since it was read", c)
	}
	lines = append(lines[:c.Line-1], lines[c.Line:]...)
	mode := os.FileMode(0o644)
	if st, err := os.Stat(path); err == nil {
		mode = st.Mode().Perm()
	}
	return atomicfile.Write(path, []byte(strings.Join(lines, "\n")), mode)
}
