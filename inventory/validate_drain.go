package inventory

import (
	"net/url"
	"time"
)

// DrainMethod is how hosts are drained: rollout drain, else kasm when a
// kasm block exists, else none.
func (inv *Inventory) DrainMethod() string {
	switch {
	case inv.Rollout.Drain != "":
		return inv.Rollout.Drain
	case inv.Kasm != nil:
		return DrainKasm
	}
	return DrainNone
}

// DrainWait is drain_timeout, or its default.
func (r Rollout) DrainWait() time.Duration {
	if r.DrainTimeout == 0 {
		return DefaultDrainTimeout
	}
	return r.DrainTimeout
}

// drain checks the kasm block and the rollout's drain settings together.
func (v *validator) drain() {
	ro, k := &v.inv.Rollout, v.inv.Kasm
	if k != nil {
		if u, err := url.Parse(k.URL); k.URL != "" && (err != nil || u.Host == "" || u.Scheme != "https") {
			v.errorf(k.Range("url"), "Invalid Kasm URL", "%q is not an https URL such as \"https://kasm.example.com\"; push talks to Kasm over verified TLS only.", k.URL)
		} else if err == nil && u.User != nil {
			v.errorf(k.Range("url"), "Credentials in Kasm URL", "Put the user name and password in username and password (with env()), not in the URL.")
		}
	}
	switch ro.Drain {
	case "", DrainKasm, DrainCommand, DrainNone:
	default:
		v.errorf(ro.Range("drain"), "Invalid drain", "%q is not a way to drain: use \"kasm\", \"command\" or \"none\".", ro.Drain)
		return
	}
	method := v.inv.DrainMethod()
	if method == DrainKasm {
		if k == nil {
			v.errorf(ro.Range("drain"), "No kasm block", "drain = \"kasm\" drains agents through Kasm's API; add a kasm block with its url, username and password.")
		} else {
			for _, attr := range []string{"username", "password"} {
				if !k.Has(attr) && !k.unreadable(attr) {
					v.errorf(k.DefRange, "Missing "+attr, "The argument %q is required to drain agents through Kasm (use env() for secrets).", attr)
				}
			}
		}
	}
	if method == DrainCommand && ro.Before == "" && ro.After == "" {
		v.errorf(ro.Range("drain"), "No drain command", "drain = \"command\" runs the rollout's before and after commands; set at least one.")
	}
	if method != DrainCommand {
		for _, attr := range []string{"before", "after"} {
			if ro.Has(attr) {
				v.errorf(ro.Range(attr), "Hook without drain = \"command\"", "%s runs only with drain = \"command\" (the drain is %q).", attr, method)
			}
		}
	}
}
