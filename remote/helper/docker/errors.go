package docker

import (
	"errors"
	"fmt"
	"strings"
)

// APIError is a refusal by the Docker Engine API: its status and the
// daemon's own message.
type APIError struct {
	Method, Path string
	Status       int
	Reason       string // the status line's words, "Conflict"
	Message      string
}

func (e *APIError) Error() string {
	status := fmt.Sprint(e.Status)
	if e.Reason != "" {
		status += " " + e.Reason
	}
	return fmt.Sprintf("docker api %s %s: %s: %s", e.Method, e.Path, status, e.Message)
}

// Docker says why only in words; these are the refusals push acts on.
// The phrases are those of libnetwork since Docker 19.03.
const (
	msgPoolOverlap = "overlaps with other one on this address space" // "Pool overlaps with …"
	msgNameInUse   = "already exists"                                // "network with name X already exists"
	msgConflict    = "conflicts with network"                        // "… conflicts with network ID (NAME): networks have same bridge name"
	msgLinkDown    = "network is down"                               // the parent link is down
)

func apiMessageContains(err error, phrase string) bool {
	var e *APIError
	return errors.As(err, &e) && strings.Contains(e.Message, phrase)
}

// IsInUse reports whether Docker refused a create because a network
// holds the name or the address pool: one that exists, or one whose
// create Docker is still finishing for a client that is gone.
func IsInUse(err error) bool {
	var e *APIError
	if !errors.As(err, &e) {
		return false
	}
	return e.Status == 409 || strings.Contains(e.Message, msgPoolOverlap) || strings.Contains(e.Message, msgNameInUse) || strings.Contains(e.Message, msgConflict)
}

// IsParentDown reports whether Docker refused a create because the
// parent link of a VLAN network is down.
func IsParentDown(err error) bool { return apiMessageContains(err, msgLinkDown) }
