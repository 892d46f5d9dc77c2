package hostnet

import (
	"bytes"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
)

// SSHConnection finds the SSH_CONNECTION of the session the helper runs
// in: its own environment, else its ancestors' (sudo resets the
// environment, but the shell that ran sudo still has it).
func SSHConnection(procRoot string) string {
	if v := os.Getenv("SSH_CONNECTION"); v != "" {
		return v
	}
	pid := os.Getppid()
	for i := 0; i < 16 && pid > 1; i++ {
		env, _ := os.ReadFile(fmt.Sprintf("%s/%d/environ", procRoot, pid))
		for _, kv := range bytes.Split(env, []byte{0}) {
			if v, ok := bytes.CutPrefix(kv, []byte("SSH_CONNECTION=")); ok && len(v) > 0 {
				return string(v)
			}
		}
		pid = parentOf(procRoot, pid)
	}
	return ""
}

func parentOf(procRoot string, pid int) int {
	stat, err := os.ReadFile(fmt.Sprintf("%s/%d/stat", procRoot, pid))
	if err != nil {
		return 0
	}
	// "pid (comm) state ppid ...": comm may contain spaces and ")".
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(stat[i+1:]))
	if len(f) < 2 {
		return 0
	}
	ppid, _ := strconv.Atoi(f[1])
	return ppid
}

// SSHSession is the local end of the controller's session.
type SSHSession struct {
	Client netip.Addr
	Server netip.Addr
	// Links carry the session: the one holding Server and the one the
	// route back to Client leaves by.
	Links []string
}

// ParseSSHConnection reads "CLIENT_IP CLIENT_PORT SERVER_IP SERVER_PORT".
func ParseSSHConnection(v string) (client, server netip.Addr, err error) {
	f := strings.Fields(v)
	if len(f) != 4 {
		return client, server, fmt.Errorf("SSH_CONNECTION %q: want 4 fields", v)
	}
	if client, err = netip.ParseAddr(f[0]); err != nil {
		return client, server, fmt.Errorf("SSH_CONNECTION client: %w", err)
	}
	if server, err = netip.ParseAddr(f[2]); err != nil {
		return client, server, fmt.Errorf("SSH_CONNECTION server: %w", err)
	}
	return client.Unmap(), server.Unmap(), nil
}

// Session finds the links carrying the SSH session described by conn.
func (v View) Session(conn string) (SSHSession, error) {
	client, server, err := ParseSSHConnection(conn)
	if err != nil {
		return SSHSession{}, err
	}
	s := SSHSession{Client: client, Server: server}
	if l, ok := OwnerOf(v.Addresses(), server); ok {
		s.Links = append(s.Links, l)
	}
	names := v.names()
	routes, err := v.n.h().RouteGet(net.IP(client.AsSlice()))
	if err == nil && len(routes) > 0 && routes[0].LinkIndex > 0 {
		if l, ok := names[routes[0].LinkIndex]; ok && l != "lo" {
			s.Links = append(s.Links, l)
		}
	}
	s.Links = v.withLowerLinks(uniq(s.Links), names)
	return s, nil
}

// names are the links' names by index.
func (v View) names() map[int]string {
	out := map[int]string{}
	for _, l := range v.links {
		out[l.Attrs().Index] = l.Attrs().Name
	}
	return out
}

// withLowerLinks adds the links under each named one: the parent of a
// VLAN or macvlan, the ports of a bridge or bond. Changing those would
// cut the session as surely as changing the link itself.
func (v View) withLowerLinks(names []string, byIndex map[int]string) []string {
	out := append([]string(nil), names...)
	for i := 0; i < len(out); i++ {
		for _, l := range v.links {
			a := l.Attrs()
			if a.Name != out[i] {
				if byIndex[a.MasterIndex] == out[i] {
					out = append(out, a.Name)
				}
				continue
			}
			// A veth's "parent" is its peer, not a device under it.
			if p, ok := byIndex[a.ParentIndex]; ok && a.ParentIndex != a.Index && sharesMAC(l.Type()) {
				out = append(out, p)
			}
		}
		out = uniq(out)
	}
	return out
}
