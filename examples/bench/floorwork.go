package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/kasmfleet/push/playbooks"
	"github.com/kasmfleet/push/remote/helper/netcfg"
	"github.com/kasmfleet/push/remote/helper/state"
)

// Floor work: what the floor runs in its one exec per host.
const (
	// FloorNoop is `true`: the floor of the check, which changes nothing.
	FloorNoop = "noop"
	// FloorConverge does the host work of workload 2 that no tool can
	// avoid, as a shell one-liner: the trunk up and its address flushed,
	// the same three files written as push's helper writes them (temp
	// file, fsync, rename), the same two symlinks, the same reload
	// (`networkctl reload`, and `systemctl daemon-reload` where systemd
	// runs). It reads nothing, checks nothing and reports nothing.
	FloorConverge = "converge"
)

// floorScript is the command the floor runs on h.
func floorScript(work string, h playbooks.Host, helperSHA string) (string, error) {
	switch work {
	case FloorNoop:
		return "true", nil
	case FloorConverge:
	default:
		return "", fmt.Errorf("floor work %q, want noop or converge", work)
	}
	if h.Spec.Trunk == nil {
		return "", fmt.Errorf("host %s has no trunk", h.Name)
	}
	nic := h.Spec.Trunk.NIC
	var b strings.Builder
	b.WriteString("set -e\nw() { t=\"$1.tmp.$$\"; printf '%s' \"$2\" > \"$t\"; chmod 644 \"$t\"; sync \"$t\"; mv \"$t\" \"$1\"; sync \"$(dirname \"$1\")\"; }\n")
	fmt.Fprintf(&b, "ip link set %s up\nip -4 addr flush dev %s\n", nic, nic)
	fmt.Fprintf(&b, "w %s %s\n", netcfg.NetworkdFile, shq(string(netcfg.Render(netcfg.Networkd, nic))))
	b.WriteString("networkctl reload >/dev/null 2>&1 || true\n")
	fmt.Fprintf(&b, "w %s %s\n", state.UnitFile, shq(string(state.Unit())))
	fmt.Fprintf(&b, "mkdir -p %s\nln -sfn %s %s\n", filepath.Dir(state.WantsLink), state.UnitFile, state.WantsLink)
	fmt.Fprintf(&b, "mkdir -p %s\nln -sfn %s %s\n", state.Dir, state.BinaryPath(helperSHA), state.Link)
	b.WriteString("if [ -d /run/systemd/system ]; then systemctl daemon-reload; fi\n")
	fmt.Fprintf(&b, "w %s %s\n", state.Applied, shq(string(state.EncodeSpec(h.Spec))))
	return b.String(), nil
}

func shq(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
