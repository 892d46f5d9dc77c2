package main

import (
	"fmt"
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
	// avoid, as a shell one-liner with as few programs as it can (each
	// costs milliseconds of CPU here): the trunk up and its address
	// flushed (one `ip -batch`), the same three files written in place by
	// the shell and flushed by one `sync` (push writes each to a temporary
	// file and renames it, the floor does not), the same two symlinks,
	// the same reload (`networkctl reload`; no `systemctl daemon-reload`:
	// a new unit needs none, and push runs it only when it replaces
	// another version of its unit). It reads nothing, checks nothing and reports
	// nothing; the folders exist on the fleet's hosts.
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
	fmt.Fprintf(&b, "set -e\nprintf 'link set %s up\\naddress flush dev %s\\n' | ip -4 -batch -\n", nic, nic)
	fmt.Fprintf(&b, "printf '%%s' %s > %s\n", shq(string(netcfg.Render(netcfg.Networkd, nic))), netcfg.NetworkdFile)
	fmt.Fprintf(&b, "printf '%%s' %s > %s\n", shq(string(state.Unit())), state.UnitFile)
	fmt.Fprintf(&b, "printf '%%s' %s > %s\n", shq(string(state.EncodeSpec(h.Spec))), state.Applied)
	fmt.Fprintf(&b, "sync %s %s %s\n", netcfg.NetworkdFile, state.UnitFile, state.Applied)
	b.WriteString("networkctl reload >/dev/null 2>&1 || true\n")
	fmt.Fprintf(&b, "ln -sfn %s %s\nln -sfn %s %s\n", state.UnitFile, state.WantsLink, state.BinaryPath(helperSHA), state.Link)
	return b.String(), nil
}

func shq(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
