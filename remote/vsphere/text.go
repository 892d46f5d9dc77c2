package vsphere

import (
	"fmt"
	"io"
	"strings"

	"github.com/kasmfleet/push/remote/proto"
)

// WriteChanges writes changes for a person, one block per change:
//
//	~ port group kasm-trunk [pending]
//	    expected  VLAN trunk 150,160-169
//	    actual    VLAN trunk 150-155
//	    action    reconfigure port group kasm-trunk: VLAN trunk 150,160-169
//
// "+" adds, "~" changes, "!" is refused. No changes: one "in sync" line.
func WriteChanges(w io.Writer, trunk string, changes []Change) error {
	var b strings.Builder
	if len(changes) == 0 {
		fmt.Fprintf(&b, "trunk %s: vSphere in sync\n", trunk)
	}
	for _, c := range changes {
		fmt.Fprintf(&b, "%s %s [%s]\n", mark(c), c.Object, c.Outcome)
		fmt.Fprintf(&b, "    expected  %s\n", c.Expected)
		fmt.Fprintf(&b, "    actual    %s\n", c.Actual)
		fmt.Fprintf(&b, "    action    %s\n", c.Action)
		if c.Error != "" {
			fmt.Fprintf(&b, "    error     %s\n", c.Error)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func mark(c Change) string {
	switch {
	case c.Outcome == proto.OutcomeRefused:
		return "!"
	case c.Kind == KindCreatePortGroup, c.Kind == KindAddNIC:
		return "+"
	default:
		return "~"
	}
}
