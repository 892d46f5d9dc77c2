package inventory

import (
	"slices"
	"testing"

	"github.com/kasmfleet/push/remote/proto"
)

// The inventory and the helper each check driver modes (the helper
// never trusts its input, and inventory imports nothing of push's): the
// two lists must be one.
func TestModesMatchTheProtocol(t *testing.T) {
	for driver, modes := range map[string][]string{"ipvlan": ipvlanModes, "macvlan": macvlanModes} {
		if want := proto.Modes(driver); !slices.Equal(modes, want) {
			t.Errorf("%s modes: inventory has %v, the protocol %v", driver, modes, want)
		}
	}
}
