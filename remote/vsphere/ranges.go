package vsphere

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/kasmfleet/push/remote/proto"
)

// NormalizeRanges sorts VLAN ranges and merges those that overlap or
// touch, so that {160-169, 150, 151-152} and {150-152, 160-169} compare
// equal, as they trunk the same VLANs.
func NormalizeRanges(rs []proto.Range) []proto.Range {
	if len(rs) == 0 {
		return nil
	}
	s := slices.Clone(rs)
	for i, r := range s {
		if r.Start > r.End {
			s[i] = proto.Range{Start: r.End, End: r.Start}
		}
	}
	slices.SortFunc(s, func(a, b proto.Range) int {
		if a.Start != b.Start {
			return a.Start - b.Start
		}
		return a.End - b.End
	})
	out := []proto.Range{s[0]}
	for _, r := range s[1:] {
		last := &out[len(out)-1]
		if r.Start <= last.End+1 {
			last.End = max(last.End, r.End)
			continue
		}
		out = append(out, r)
	}
	return out
}

// FormatRanges writes ranges as the inventory does: "150,160-169".
func FormatRanges(rs []proto.Range) string {
	if len(rs) == 0 {
		return "none"
	}
	parts := make([]string, len(rs))
	for i, r := range rs {
		if r.Start == r.End {
			parts[i] = strconv.Itoa(r.Start)
		} else {
			parts[i] = fmt.Sprintf("%d-%d", r.Start, r.End)
		}
	}
	return strings.Join(parts, ",")
}

// Validate checks what Diff and Apply rely on: the switch type and what
// goes with it, names, and VLAN ranges inside 0-4094. The inventory checks more, with positions; this guards
// against a caller that skipped it.
func Validate(spec proto.VSphereSpec) error {
	var problems []string
	switch spec.SwitchType {
	case "", proto.SwitchDistributed:
		if spec.Switch == "" {
			problems = append(problems, "no distributed switch")
		}
		if len(spec.Hosts) > 0 {
			problems = append(problems, "hosts are for standard vSwitches; a distributed switch's hosts are its members")
		}
	case proto.SwitchStandard:
		if spec.Switch == "" {
			problems = append(problems, "no standard vSwitch")
		}
		if spec.Ports != 0 {
			problems = append(problems, "ports do not apply to a standard port group")
		}
		for i, h := range spec.Hosts {
			switch {
			case strings.TrimSpace(h) == "":
				problems = append(problems, "an empty host name")
			case slices.Contains(spec.Hosts[:i], h):
				problems = append(problems, fmt.Sprintf("host %s listed twice", h))
			}
		}
	default:
		problems = append(problems, fmt.Sprintf("switch type %q is not %q or %q", spec.SwitchType, proto.SwitchDistributed, proto.SwitchStandard))
	}
	if spec.PortGroup == "" {
		problems = append(problems, "no port group name")
	}
	if len(spec.VLANs) == 0 {
		problems = append(problems, "no VLAN ranges")
	}
	for _, r := range spec.VLANs {
		if r.Start < 0 || r.End > 4094 || r.Start > r.End {
			problems = append(problems, fmt.Sprintf("VLAN range %d-%d is not inside 0-4094", r.Start, r.End))
		}
	}
	if spec.Ports < 0 {
		problems = append(problems, fmt.Sprintf("ports = %d is negative", spec.Ports))
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: trunk %s: %s", ErrConfig, spec.Trunk, strings.Join(problems, "; "))
	}
	return nil
}
