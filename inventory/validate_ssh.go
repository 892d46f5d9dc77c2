package inventory

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// ssh checks how a block (defaults or an agent) reaches its host: the
// things an SSH dial would only refuse on the day.
func (v *validator) ssh(b *Block, s SSH) {
	v.port(b, s.Port)
	if s.Jump != "" {
		v.jump(b.Range("jump"), s.Jump)
	}
}

func (v *validator) port(b *Block, p int) {
	if b.Has("port") && (p < 1 || p > 65535) {
		v.errorf(b.Range("port"), "Invalid port", "SSH port %d is outside 1 to 65535.", p)
	}
}

// address checks an agent's SSH address: a host name or an IP address,
// with no port, user or scheme inside (push adds the port itself).
func (v *validator) address(a *Agent) {
	if !a.Has("address") {
		return
	}
	s, rng := a.Address, a.Range("address")
	if _, err := netip.ParseAddr(s); err == nil {
		return // IPv4, or IPv6 written without brackets
	}
	host, port, err := net.SplitHostPort(s)
	_, portErr := strconv.Atoi(port)
	switch {
	case strings.TrimSpace(s) == "":
		v.errorf(rng, "Empty address", "Agent %q has an empty address; write the host name or IP address push connects to.", a.Name)
	case strings.Contains(s, "://"):
		v.errorf(rng, "Invalid address", "%q is a URL; write only the host name or IP address.", s)
	case strings.Contains(s, "@"):
		user, host, _ := strings.Cut(s, "@")
		v.errorf(rng, "User in the address", "%q holds a user name. Write address = %q and user = %q.", s, host, user)
	case err == nil && portErr == nil:
		v.errorf(rng, "Port in the address",
			"%q holds a port, and push would dial %q. Write address = %q and port = %s.", s, net.JoinHostPort(s, "22"), host, port)
	case strings.ContainsAny(s, "/[]: \t\n"):
		v.errorf(rng, "Invalid address",
			"%q is not a host name or an IP address (write an IPv6 address without brackets).", s)
	}
}

// jump checks a ProxyJump list: "none", or comma-separated hops of the
// form [ssh://][user@]host[:port].
func (v *validator) jump(rng hcl.Range, s string) {
	if strings.EqualFold(s, "none") {
		return
	}
	for _, hop := range strings.Split(s, ",") {
		if err := checkHop(strings.TrimSpace(hop)); err != nil {
			v.errorf(rng, "Invalid jump host", "%s; write [user@]host[:port], several separated by commas.", err)
			return
		}
	}
}

func checkHop(hop string) error {
	s := strings.TrimPrefix(hop, "ssh://")
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		s = s[i+1:]
	}
	host, port := s, ""
	if h, p, err := net.SplitHostPort(s); err == nil {
		host, port = h, p
	} else if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		host = s[1 : len(s)-1]
	}
	if port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("jump host %q: port %q is outside 1 to 65535", hop, port)
		}
	}
	if host == "" || strings.ContainsAny(host, " \t\n/") {
		return fmt.Errorf("%q names no jump host", hop)
	}
	if _, err := netip.ParseAddr(host); err != nil && strings.Contains(host, ":") {
		return fmt.Errorf("%q is not [user@]host[:port]", hop)
	}
	return nil
}
