package proto

import "slices"

// Result is the single JSON document a helper writes on stdout, for every
// verb, failure included.
type Result struct {
	Version int    `json:"version"`
	Verb    Verb   `json:"verb"`
	Agent   string `json:"agent,omitempty"`
	Helper  Build  `json:"helper"`
	// Facts is what the helper observed (after apply: read back).
	Facts *Facts `json:"facts,omitempty"`
	// Actions are the changes planned (plan) or taken (apply).
	Actions []Action `json:"actions,omitempty"`
	// Checks are verify's end-to-end probes.
	Checks []Check `json:"checks,omitempty"`
	// Error is set when the verb failed as a whole, and Code, when the
	// helper can tell, says what kind of failure it is.
	Error string    `json:"error,omitempty"`
	Code  ErrorCode `json:"code,omitempty"`
	// Phases say how long each part of the run took on the host, in
	// order (observe, apply, read back, verify). Older helpers leave it
	// empty.
	Phases []Phase `json:"phases,omitempty"`
}

// Phase is one timed part of a helper run.
type Phase struct {
	Name string `json:"name"`
	MS   int64  `json:"ms"`
}

// Build identifies a helper binary.
type Build struct {
	Version string `json:"version"`
	SHA256  string `json:"sha256,omitempty"`
	GOARCH  string `json:"goarch,omitempty"`
}

// ActionKind names what an action changes.
type ActionKind string

const (
	ActLoadModule     ActionKind = "load-module"
	ActPersistModule  ActionKind = "persist-module"
	ActTrunkUp        ActionKind = "trunk-up"
	ActTrunkFlush     ActionKind = "trunk-flush-addresses"
	ActPersistTrunk   ActionKind = "persist-trunk"
	ActCreateNetwork  ActionKind = "create-network"
	ActReplaceNetwork ActionKind = "replace-network"
	ActRemoveNetwork  ActionKind = "remove-network"
	ActAddSNAT        ActionKind = "add-snat"
	ActRemoveSNAT     ActionKind = "remove-snat"
	ActAddAddress     ActionKind = "add-address"
	ActRemoveAddress  ActionKind = "remove-address" // prune: an address push added
	ActInstallUnit    ActionKind = "install-unit"
	ActWriteState     ActionKind = "write-state"
	// ActAdoptNetwork records a hand-made Docker network that matches the
	// spec as push's; the network itself is not changed.
	ActAdoptNetwork ActionKind = "adopt-network"
	// ActAdoptSNAT moves a hand-made SNAT rule into push's table: push's
	// rule goes in before the hand-made one (and its boot copies) comes out.
	ActAdoptSNAT ActionKind = "adopt-snat"
)

// Outcome is what became of an action.
type Outcome string

const (
	OutcomePending Outcome = "pending" // plan: would be taken
	OutcomeDone    Outcome = "done"
	OutcomeFailed  Outcome = "failed"
	OutcomeRefused Outcome = "refused" // unsafe, e.g. containers attached
	OutcomeSkipped Outcome = "skipped" // not attempted after an earlier failure
	// OutcomeLeft: a hand-made object apply was not asked to adopt
	// (--adopt); it was left as it is. Not a failure.
	OutcomeLeft Outcome = "left"
)

// Action is one change, described for a person and for a program.
type Action struct {
	Kind   ActionKind `json:"kind"`
	Target string     `json:"target"`
	// Summary is a sentence: "create Docker network z_vlan150 (ipvlan l2,
	// parent ens160.150, ip-range 192.168.148.128/25)".
	Summary string  `json:"summary"`
	Outcome Outcome `json:"outcome"`
	Error   string  `json:"error,omitempty"`
	// Expected and Actual, when the helper can tell, describe the drift
	// this action repairs ("up, no address" / "down").
	Expected string `json:"expected,omitempty"`
	Actual   string `json:"actual,omitempty"`
	// Extra marks an object push created that the spec no longer wants.
	Extra bool `json:"extra,omitempty"`
	// Busy names the containers (sessions) whose endpoints block this
	// action: the host needs a drain before it can be taken. Older
	// helpers leave it empty.
	Busy []string `json:"busy,omitempty"`
	// MS is how long apply took over this action, in milliseconds.
	MS int64 `json:"ms,omitempty"`
}

// Blocking lists the sessions that block actions when a drain is all
// they need: none when nothing is busy, or when an action is refused for
// another reason (draining would not let the apply through).
func Blocking(actions []Action) []string {
	var busy []string
	for _, a := range actions {
		if a.Outcome == OutcomeRefused && len(a.Busy) == 0 {
			return nil
		}
		for _, c := range a.Busy {
			if !slices.Contains(busy, c) {
				busy = append(busy, c)
			}
		}
	}
	return busy
}

// Check is one end-to-end probe made by verify.
type Check struct {
	Network string `json:"network"`
	What    string `json:"what"` // "gateway 192.0.2.1 answers", "source ip seen"
	OK      bool   `json:"ok"`
	Want    string `json:"want,omitempty"`
	Got     string `json:"got,omitempty"`
	Error   string `json:"error,omitempty"`
}
