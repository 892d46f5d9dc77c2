// Package proto holds the versioned JSON messages exchanged between push
// and push-helper, and the desired-state documents push prints and stores.
// It imports only the standard library so that both sides can share it.
package proto

// Version is the protocol version. A helper refuses requests of another
// major version, so a stale helper on a host can never misread a spec.
const Version = 1

// EndMarkEnv names the environment variable in which push's run script
// gives the helper the marker line that ends its answer: the script
// execs the helper, which prints "MARK EXIT" after its result.
const EndMarkEnv = "PUSH_HELPER_END"

// Verb is what push asks the helper to do.
type Verb string

const (
	VerbFacts   Verb = "facts"   // read only: what the host has
	VerbPlan    Verb = "plan"    // facts plus the actions apply would take
	VerbApply   Verb = "apply"   // take the actions, then read back
	VerbVerify  Verb = "verify"  // end-to-end probes of every network
	VerbRestore Verb = "restore" // boot-time re-apply of the last applied spec
	VerbVersion Verb = "version" // the helper's own version and sha256
)

// Changes reports whether v may change the host (verify makes and removes
// probe namespaces and links).
func (v Verb) Changes() bool {
	switch v {
	case VerbApply, VerbVerify, VerbRestore:
		return true
	}
	return false
}

// Request is the single JSON document a helper reads on stdin.
type Request struct {
	Version int       `json:"version"`
	Verb    Verb      `json:"verb"`
	Spec    *HostSpec `json:"spec,omitempty"`
	Options Options   `json:"options"`
}

// Options change how a verb runs, not what the host should look like.
type Options struct {
	// Prune removes objects push created that the spec no longer wants.
	Prune bool `json:"prune,omitempty"`
	// Holder describes the controller for the host lock ("user@host").
	Holder string `json:"holder,omitempty"`
	// Verify, with apply, runs verify's probes in the same exec after
	// applying; the Result then carries both Actions and Checks.
	Verify bool `json:"verify,omitempty"`
	// Adopt lets apply take ownership of hand-made objects that match the
	// spec (Docker networks, SNAT rules); without it they are left alone.
	Adopt bool `json:"adopt,omitempty"`
	// ForceDisconnect, with plan and apply, disconnects the containers
	// (sessions) attached to a network that must be replaced or removed,
	// instead of refusing the change: those sessions lose the network.
	// Never a default: push sets it only on --force-disconnect.
	ForceDisconnect bool `json:"force_disconnect,omitempty"`
	// Survey, with facts, reports every Docker network (not only the
	// spec's), every address, and the parent NIC of VLAN networks as the
	// trunk: what push import writes an inventory from.
	Survey bool `json:"survey,omitempty"`
	// UnlessBusy, with apply, changes nothing when sessions block a
	// change (Blocking names them): the helper answers as plan would,
	// with CodeBusy, so push drains the host first. Most hosts have
	// nothing blocked, and are spared a plan before their apply.
	UnlessBusy bool `json:"unless_busy,omitempty"`
	// WaitForSessions, with plan, is how many seconds the helper may
	// wait for the containers that block a change (Blocking) to leave
	// before it answers, re-reading Docker every second: push's
	// drain waits in one exec per WaitForSessions, not one per poll.
	WaitForSessions int `json:"wait_for_sessions,omitempty"`
}

// ExitCode is the helper's process exit status.
const (
	ExitOK      = 0 // done, nothing pending
	ExitFailed  = 1 // failed; the Result says why
	ExitChanges = 2 // plan: changes are pending
)
