// Package vsphere converges vCenter for one trunk: a distributed port group
// that trunks the inventory's VLANs, and a vmxnet3 NIC on it in every
// agent's VM. It observes first, diffs, then acts, waits for each task and
// reads the result back.
package vsphere

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Config is how push reaches and logs in to a vCenter. The desired state
// travels separately, in proto.VSphereSpec, which never carries secrets.
type Config struct {
	// URL of the SDK endpoint; "host", "host:port" and "https://host"
	// are completed to https://host/sdk. Userinfo in it is taken as the
	// credentials (when Username/Password are empty) and removed.
	URL        string
	Username   string
	Password   string
	Datacenter string // used when the spec names none
	// Insecure skips TLS verification. The caller warns the user.
	Insecure bool
	// Thumbprint pins the server certificate (SHA-256 or SHA-1, hex with
	// or without colons). With a pin, the certificate must match it.
	Thumbprint string
	// KnownHosts is a govc known_hosts file ("host[:port] thumbprint"
	// per line); its entry for the server is used when Thumbprint is empty.
	KnownHosts string
	// CAFile is a PEM bundle to trust instead of the system roots; a
	// list separated by the OS path-list separator is accepted.
	CAFile string
}

// ConfigFromEnv fills the fields of c that are empty from the variables
// govc users already have: GOVC_URL, GOVC_USERNAME, GOVC_PASSWORD,
// GOVC_INSECURE, GOVC_TLS_CA_CERTS, GOVC_TLS_KNOWN_HOSTS, GOVC_DATACENTER.
// Values set in c (from the inventory) win.
func ConfigFromEnv(c Config, getenv func(string) string) Config {
	fill := func(field *string, name string) {
		if *field == "" {
			*field = getenv(name)
		}
	}
	fill(&c.URL, "GOVC_URL")
	fill(&c.Username, "GOVC_USERNAME")
	fill(&c.Password, "GOVC_PASSWORD")
	fill(&c.Datacenter, "GOVC_DATACENTER")
	fill(&c.CAFile, "GOVC_TLS_CA_CERTS")
	fill(&c.KnownHosts, "GOVC_TLS_KNOWN_HOSTS")
	if !c.Insecure {
		if v, err := strconv.ParseBool(getenv("GOVC_INSECURE")); err == nil {
			c.Insecure = v
		}
	}
	return c
}

// String describes c without its password, so that %v and %+v are safe.
func (c Config) String() string {
	pw := ""
	if c.Password != "" {
		pw = "(set)"
	}
	return fmt.Sprintf("{URL:%s Username:%s Password:%s Datacenter:%s Insecure:%t Thumbprint:%s KnownHosts:%s CAFile:%s}",
		redactURL(c.URL), c.Username, pw, c.Datacenter, c.Insecure, c.Thumbprint, c.KnownHosts, c.CAFile)
}

// GoString keeps %#v as safe as %v.
func (c Config) GoString() string { return "vsphere.Config" + c.String() }

// MarshalJSON keeps the password out of JSON as well.
func (c Config) MarshalJSON() ([]byte, error) {
	return []byte(strconv.Quote(c.String())), nil
}

// endpoint is a parsed Config: the SDK URL without userinfo and the
// credentials to log in with.
type endpoint struct {
	url      *url.URL
	username string
	password string
}

// parseEndpoint completes c.URL the way govc does and moves any userinfo
// out of it. Errors never repeat the URL's password.
func parseEndpoint(c Config) (endpoint, error) {
	raw := strings.TrimSpace(c.URL)
	if raw == "" {
		return endpoint{}, fmt.Errorf("%w: no vCenter URL (set url in the vsphere block or GOVC_URL)", ErrConfig)
	}
	if !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	u, err := url.Parse(strings.TrimSuffix(raw, "/"))
	if err != nil {
		return endpoint{}, fmt.Errorf("%w: vCenter URL %s does not parse", ErrConfig, redactURL(c.URL))
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return endpoint{}, fmt.Errorf("%w: vCenter URL %s: scheme %q is not https", ErrConfig, redactURL(c.URL), u.Scheme)
	}
	if u.Host == "" {
		return endpoint{}, fmt.Errorf("%w: vCenter URL %s has no host", ErrConfig, redactURL(c.URL))
	}
	if u.Path == "" {
		u.Path = "/sdk"
	}
	e := endpoint{username: c.Username, password: c.Password}
	if u.User != nil {
		if e.username == "" {
			e.username = u.User.Username()
		}
		if p, ok := u.User.Password(); ok && e.password == "" {
			e.password = p
		}
		u.User = nil
	}
	if e.username == "" || e.password == "" {
		return endpoint{}, fmt.Errorf("%w: no vCenter username or password for %s (set them in the vsphere block or GOVC_USERNAME/GOVC_PASSWORD)", ErrConfig, u)
	}
	e.url = u
	return e, nil
}

// redactURL returns raw without any userinfo, for messages.
func redactURL(raw string) string {
	if raw == "" {
		return ""
	}
	s := raw
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		// Do not echo something that may hold a password.
		if strings.Contains(raw, "@") {
			return "(unparsable URL)"
		}
		return raw
	}
	u.User = nil
	return u.String()
}
