package plan

import (
	"errors"
	"fmt"
	"strings"

	"github.com/kasmfleet/push/remote/helper/docker"
)

// ErrUnsafe marks a spec refused because it would change what carries
// the controller's SSH session.
var ErrUnsafe = errors.New("refused: the spec would change the interface carrying this SSH session")

// CheckSafety refuses a spec that would change a link the SSH session
// uses: as trunk (its addresses would be removed), as a VLAN parent, or
// as a bridge name. Adding a secondary address is allowed: it changes
// none of the session's addresses or routes.
func CheckSafety(desired []docker.Network, obs Observed) error {
	session := map[string]bool{}
	for _, l := range obs.SessionLinks {
		session[l] = true
	}
	if len(session) == 0 {
		return nil
	}
	var bad []string
	if t := obs.Trunk.Name; t != "" && session[t] {
		bad = append(bad, fmt.Sprintf("trunk NIC %s carries the session", t))
	}
	for _, n := range desired {
		if p := n.Options[docker.OptParent]; p != "" && session[p] {
			bad = append(bad, fmt.Sprintf("network %s: parent %s carries the session", n.Name, p))
		}
		if b := n.Options[docker.OptBridgeName]; b != "" && session[b] {
			bad = append(bad, fmt.Sprintf("network %s: bridge %s carries the session", n.Name, b))
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return fmt.Errorf("%w (%s on %s): %s", ErrUnsafe, sessionText(obs), strings.Join(obs.SessionLinks, ", "), strings.Join(bad, "; "))
}

func sessionText(obs Observed) string {
	if obs.SessionAddr.IsValid() {
		return "SSH to " + obs.SessionAddr.String()
	}
	return "SSH"
}
