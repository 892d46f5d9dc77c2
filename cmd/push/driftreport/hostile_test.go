package driftreport

import "github.com/kasmfleet/push/playbooks"

const hostileName = "<script>alert(1)</script>"

// hostile is a report whose strings try to break out of every format:
// markup, quotes, an ANSI escape, a NUL, a bidi override, line breaks.
func hostile() Report {
	return Report{Version: SchemaVersion, Generated: generated,
		Inventory: `inv/"x" & <y>.hcl`,
		Targets: []playbooks.TargetDrift{
			{Name: hostileName, Kind: KindHost, Status: playbooks.Unknown,
				Error: "dial: \x1b[31mred\x1b[0m \x00 <img src=x onerror=alert(2)>\nsecond line ]]> end"},
			{Name: `"><svg onload=alert(3)>`, Kind: KindHost, Status: playbooks.Drifted,
				Drifts: []playbooks.Drift{{Component: "Docker network", Object: "</td></tr></table><h1>x",
					Expected: "a\u202eb", Actual: "' onmouseover='alert(4)", Action: "javascript:alert(5)", Extra: true}}},
			{Name: "trunk & <co>", Kind: KindVSphere, Status: playbooks.InSync},
		}}
}
