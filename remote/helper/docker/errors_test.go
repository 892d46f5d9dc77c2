package docker

import (
	"errors"
	"fmt"
	"testing"
)

// The messages are Docker's own (libnetwork, 20.10 and 26).
func TestRefusalKinds(t *testing.T) {
	api := func(status int, msg string) error {
		return fmt.Errorf("create docker network z: %w", &APIError{Method: "POST", Path: "/v1.41/networks/create", Status: status, Message: msg})
	}
	for _, c := range []struct {
		name         string
		err          error
		inUse, pDown bool
	}{
		{"pool overlap", api(403, "Pool overlaps with other one on this address space"), true, false},
		{"name taken (20.10)", api(409, "network with name z_custom_a already exists"), true, false},
		{"name taken, other status", api(500, "network with name z_custom_a already exists"), true, false},
		{"same bridge name", api(403, "cannot create network a798d21a9d86 (z_enclave_2): conflicts with network 96fa2755555b (z_enclave_2): networks have same bridge name"), true, false},
		{"parent down", api(500, "failed to create the ipvlan port: network is down"), false, true},
		{"other refusal", api(400, "invalid subnet"), false, false},
		{"not an api error", errors.New("Pool overlaps with other one on this address space"), false, false},
		{"no error", nil, false, false},
	} {
		if got := IsInUse(c.err); got != c.inUse {
			t.Errorf("%s: IsInUse = %v, want %v", c.name, got, c.inUse)
		}
		if got := IsParentDown(c.err); got != c.pDown {
			t.Errorf("%s: IsParentDown = %v, want %v", c.name, got, c.pDown)
		}
	}
}
