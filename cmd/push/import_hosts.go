package main

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/kevinburke/ssh_config"

	"github.com/kasmfleet/push/playbooks"
	"github.com/kasmfleet/push/playbooks/importinv"
)

// importFleet is who import reads, and the connection defaults it writes.
type importFleet struct {
	importinv.Fleet
	hosts []playbooks.Host
}

// importTargets resolves HOSTS: an inventory file (*.hcl) gives its agents
// and connection defaults; a glob matches the Host names of ssh_config; any
// other word is a host name (an ssh_config Host, or an address).
func importTargets(io stdio, targets []string, sshConfigPath string) (importFleet, error) {
	var f importFleet
	seen := map[string]bool{}
	add := func(h playbooks.Host) {
		if !seen[h.Name] {
			seen[h.Name] = true
			f.hosts = append(f.hosts, h)
		}
	}
	var cfg *ssh_config.Config
	for _, t := range targets {
		switch {
		case strings.HasSuffix(t, ".hcl"):
			inv, _, ok := load(io, []string{t}, true)
			if !ok {
				return f, fmt.Errorf("%s is not a valid inventory", t)
			}
			f.Defaults = inv.Defaults.SSH
			for _, h := range playbooks.Desire(inv).Hosts {
				add(playbooks.Host{Name: h.Name, Conn: h.Conn})
			}
		case strings.ContainsAny(t, "*?["):
			if cfg == nil {
				var err error
				if cfg, err = readSSHConfig(io, sshConfigPath); err != nil {
					return f, err
				}
			}
			names := sshConfigHosts(cfg, t)
			if len(names) == 0 {
				return f, fmt.Errorf("no Host in ssh_config matches %q", t)
			}
			for _, n := range names {
				add(sshHost(cfg, n))
			}
		default:
			if cfg == nil {
				cfg, _ = readSSHConfig(io, sshConfigPath)
			}
			add(sshHost(cfg, t))
		}
	}
	return f, nil
}

// sshHost is an agent named like its ssh_config Host, at its HostName;
// push keeps reading User, Port and IdentityFile from ssh_config by name.
func sshHost(cfg *ssh_config.Config, name string) playbooks.Host {
	addr := name
	if cfg != nil {
		if hn, _ := cfg.Get(name, "HostName"); hn != "" {
			addr = hn
		}
	}
	return playbooks.Host{Name: name, Conn: playbooks.Connection{Address: addr}}
}

// sshConfigHosts are the Host names (not patterns) in cfg matching glob.
func sshConfigHosts(cfg *ssh_config.Config, glob string) []string {
	var out []string
	if cfg == nil {
		return nil
	}
	for _, h := range cfg.Hosts {
		for _, p := range h.Patterns {
			n := p.String()
			if strings.ContainsAny(n, "*?!") || slices.Contains(out, n) {
				continue
			}
			if ok, _ := path.Match(glob, n); ok {
				out = append(out, n)
			}
		}
	}
	return out
}

func readSSHConfig(io stdio, p string) (*ssh_config.Config, error) {
	if p == "none" {
		return nil, nil
	}
	if p == "" {
		p = filepath.Join(io.getenv("HOME"), ".ssh", "config")
	}
	b, err := os.Open(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("ssh config: %w", err)
	}
	defer b.Close()
	cfg, err := ssh_config.Decode(b)
	if err != nil {
		return nil, fmt.Errorf("ssh config %s: %w", p, err)
	}
	return cfg, nil
}
