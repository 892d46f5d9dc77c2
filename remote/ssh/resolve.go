package ssh

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/kevinburke/ssh_config"
)

// endpoint is one resolved hop: where to connect and as whom.
type endpoint struct {
	name          string // what the user called it (alias or host)
	host          string
	port          int
	user          string
	identityFiles []string
	knownHosts    []string
}

func (e endpoint) addr() string { return net.JoinHostPort(e.host, strconv.Itoa(e.port)) }

// String is "user@host:port", used in messages and as a cache key.
func (e endpoint) String() string { return e.user + "@" + e.addr() }

// sshConfig is the parsed ssh_config file, or nil when there is none.
func (d *Dialer) sshConfig() (*ssh_config.Config, error) {
	d.sshcfgOnce.Do(func() {
		path := d.o.SSHConfigPath
		if path == "none" {
			return
		}
		if path == "" {
			home := d.o.Getenv("HOME")
			if home == "" {
				return
			}
			path = filepath.Join(home, ".ssh", "config")
		}
		f, err := os.Open(path)
		if errors.Is(err, os.ErrNotExist) {
			return
		}
		if err != nil {
			d.sshcfgErr = fmt.Errorf("ssh config: %w", err)
			return
		}
		defer f.Close()
		if d.sshcfg, err = ssh_config.Decode(f); err != nil {
			d.sshcfgErr = fmt.Errorf("ssh config %s: %w", path, err)
		}
	})
	return d.sshcfg, d.sshcfgErr
}

// lookup answers ssh_config questions for the first of names that has an
// answer.
type lookup struct {
	cfg   *ssh_config.Config
	names []string
}

func (l lookup) get(key string) string {
	if l.cfg == nil {
		return ""
	}
	for _, n := range l.names {
		if n == "" {
			continue
		}
		if v, _ := l.cfg.Get(n, key); v != "" {
			return unquote(v)
		}
	}
	return ""
}

func (l lookup) getAll(key string) []string {
	if l.cfg == nil {
		return nil
	}
	for _, n := range l.names {
		if n == "" {
			continue
		}
		if vs, _ := l.cfg.GetAll(n, key); len(vs) > 0 {
			out := make([]string, len(vs))
			for i, v := range vs {
				out[i] = unquote(v)
			}
			return out
		}
	}
	return nil
}

func unquote(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return s[1 : len(s)-1]
	}
	return s
}

// resolve turns a Config into the target endpoint and the jump hosts to
// cross first, in order.
func (d *Dialer) resolve(c Config) (endpoint, []endpoint, error) {
	cfg, err := d.sshConfig()
	if err != nil {
		return endpoint{}, nil, err
	}
	name := c.Alias
	if name == "" {
		name = c.Host
	}
	if name == "" {
		return endpoint{}, nil, errors.New("no host to connect to")
	}
	l := lookup{cfg: cfg, names: []string{c.Alias, c.Host}}
	if pc := l.get("ProxyCommand"); pc != "" && !strings.EqualFold(pc, "none") {
		return endpoint{}, nil, fmt.Errorf("%s: ssh_config ProxyCommand is not supported; use ProxyJump", name)
	}
	t, err := d.endpoint(name, c.Host, c.Port, c.User, c.IdentityFiles, nil, c.KnownHosts, l)
	if err != nil {
		return endpoint{}, nil, err
	}
	jump := c.Jump
	if jump == "" {
		jump = l.get("ProxyJump")
	}
	if jump == "" || strings.EqualFold(jump, "none") {
		return t, nil, nil
	}
	var hops []endpoint
	for _, spec := range strings.Split(jump, ",") {
		user, host, port, err := parseJump(strings.TrimSpace(spec))
		if err != nil {
			return endpoint{}, nil, fmt.Errorf("%s: jump host %q: %w", name, spec, err)
		}
		hl := lookup{cfg: cfg, names: []string{host}}
		// A jump host gets its own ssh_config IdentityFile, else the keys
		// given for the target.
		hop, err := d.endpoint(host, "", port, user, nil, c.IdentityFiles, c.KnownHosts, hl)
		if err != nil {
			return endpoint{}, nil, fmt.Errorf("%s: jump host %q: %w", name, spec, err)
		}
		hops = append(hops, hop)
	}
	return t, hops, nil
}

func (d *Dialer) endpoint(name, host string, port int, user string, ids, fallbackIDs, known []string, l lookup) (endpoint, error) {
	e := endpoint{name: name, host: host, port: port, user: user,
		identityFiles: append([]string(nil), ids...), knownHosts: append([]string(nil), known...)}
	if e.host == "" {
		e.host = strings.ReplaceAll(l.get("HostName"), "%h", name)
		if e.host == "" {
			e.host = name
		}
	}
	if e.port == 0 {
		if p := l.get("Port"); p != "" {
			n, err := strconv.Atoi(p)
			if err != nil || n < 1 || n > 65535 {
				return e, fmt.Errorf("ssh_config Port %q is not a port", p)
			}
			e.port = n
		} else {
			e.port = 22
		}
	}
	if e.user == "" {
		e.user = l.get("User")
	}
	if e.user == "" {
		e.user = d.o.Getenv("USER")
	}
	if e.user == "" {
		e.user = "root"
	}
	home := d.o.Getenv("HOME")
	if len(e.identityFiles) == 0 {
		e.identityFiles = l.getAll("IdentityFile")
	}
	if len(e.identityFiles) == 0 {
		e.identityFiles = append(e.identityFiles, fallbackIDs...)
	}
	if len(e.identityFiles) == 0 && home != "" {
		for _, n := range []string{"id_ed25519", "id_ecdsa", "id_rsa"} {
			e.identityFiles = append(e.identityFiles, filepath.Join(home, ".ssh", n))
		}
	}
	for i, f := range e.identityFiles {
		e.identityFiles[i] = d.expand(f, e)
	}
	if len(e.knownHosts) == 0 {
		if home != "" {
			e.knownHosts = append(e.knownHosts, filepath.Join(home, ".ssh", "known_hosts"))
		}
		e.knownHosts = append(e.knownHosts, "/etc/ssh/ssh_known_hosts")
	}
	return e, nil
}

// expand replaces "~" and the ssh_config tokens %d %h %r %u %% in a path.
func (d *Dialer) expand(path string, e endpoint) string {
	home := d.o.Getenv("HOME")
	if path == "~" || strings.HasPrefix(path, "~/") {
		path = home + path[1:]
	}
	if !strings.Contains(path, "%") {
		return path
	}
	var b strings.Builder
	for i := 0; i < len(path); i++ {
		if path[i] != '%' || i+1 == len(path) {
			b.WriteByte(path[i])
			continue
		}
		i++
		switch path[i] {
		case 'd':
			b.WriteString(home)
		case 'h':
			b.WriteString(e.host)
		case 'r':
			b.WriteString(e.user)
		case 'u':
			b.WriteString(d.o.Getenv("USER"))
		case '%':
			b.WriteByte('%')
		default:
			b.WriteByte('%')
			b.WriteByte(path[i])
		}
	}
	return b.String()
}

// parseJump parses "[user@]host[:port]" or "ssh://[user@]host[:port]".
func parseJump(s string) (user, host string, port int, err error) {
	s = strings.TrimPrefix(s, "ssh://")
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		user, s = s[:i], s[i+1:]
	}
	host = s
	if h, p, splitErr := net.SplitHostPort(s); splitErr == nil {
		host = h
		if port, err = strconv.Atoi(p); err != nil || port < 1 || port > 65535 {
			return "", "", 0, fmt.Errorf("bad port %q", p)
		}
	} else if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		host = s[1 : len(s)-1]
	}
	if host == "" {
		return "", "", 0, errors.New("no host")
	}
	return user, host, port, nil
}
