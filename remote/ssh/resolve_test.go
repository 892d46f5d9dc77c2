package ssh

import (
	"reflect"
	"strings"
	"testing"
)

func TestResolve(t *testing.T) {
	env := map[string]string{"HOME": "/home/me", "USER": "me"}
	d := NewDialer(Options{SSHConfigPath: "testdata/ssh_config", AgentSocket: "none", Getenv: func(k string) string { return env[k] }})
	defaultKeys := []string{"/home/me/.ssh/id_ed25519", "/home/me/.ssh/id_ecdsa", "/home/me/.ssh/id_rsa"}
	defaultKnown := []string{"/home/me/.ssh/known_hosts", "/etc/ssh/ssh_known_hosts"}
	bastion := endpoint{name: "bastion", host: "203.0.113.1", port: 2200, user: "jumper",
		identityFiles: []string{"/home/me/.ssh/bastion_key"}, knownHosts: defaultKnown}
	tests := []struct {
		name   string
		config Config
		want   string   // target as user@host:port
		keys   []string // target identity files
		jumps  []string
		err    string
	}{
		{name: "alias from ssh_config with jump", config: Config{Alias: "agent-1", Host: "192.0.2.11"},
			want: "admin@192.0.2.11:22", keys: []string{"/home/me/.ssh/agents_admin"}, jumps: []string{bastion.String()}},
		{name: "inventory fields win", config: Config{Alias: "agent-1", Host: "192.0.2.11", User: "root", Port: 2022, IdentityFiles: []string{"/k"}},
			want: "root@192.0.2.11:2022", keys: []string{"/k"}, jumps: []string{bastion.String()}},
		{name: "HostName with %h", config: Config{Alias: "agent-9"},
			want: "admin@agent-9.example.net:22", keys: []string{"/home/me/.ssh/agents_admin"}, jumps: []string{bastion.String()}},
		{name: "looked up by address when the alias says nothing", config: Config{Alias: "db", Host: "192.0.2.5"},
			want: "byaddress@192.0.2.5:22", keys: defaultKeys},
		{name: "defaults", config: Config{Host: "198.51.100.1"}, want: "me@198.51.100.1:22", keys: defaultKeys},
		{name: "ProxyJump none in ssh_config", config: Config{Alias: "direct"}, want: "me@198.51.100.7:22", keys: defaultKeys},
		{name: "Config.Jump none", config: Config{Alias: "agent-1", Host: "192.0.2.1", Jump: "none"},
			want: "admin@192.0.2.1:22", keys: []string{"/home/me/.ssh/agents_admin"}},
		{name: "jump chain with ports and users", config: Config{Host: "198.51.100.2", IdentityFiles: []string{"/k"}, Jump: "ops@203.0.113.9:2201,[2001:db8::1]:22"},
			want: "me@198.51.100.2:22", keys: []string{"/k"}, jumps: []string{"ops@203.0.113.9:2201", "me@[2001:db8::1]:22"}},
		{name: "ProxyCommand refused", config: Config{Alias: "piped"}, err: "ProxyCommand is not supported"},
		{name: "bad port", config: Config{Alias: "badport"}, err: `Port "eighty"`},
		{name: "no host", config: Config{}, err: "no host"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target, hops, err := d.resolve(tt.config)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("got %v, want error containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if target.String() != tt.want || !reflect.DeepEqual(target.identityFiles, tt.keys) {
				t.Errorf("target %s keys %v, want %s keys %v", target, target.identityFiles, tt.want, tt.keys)
			}
			if !reflect.DeepEqual(target.knownHosts, defaultKnown) {
				t.Errorf("known hosts %v", target.knownHosts)
			}
			var jumps []string
			for _, h := range hops {
				jumps = append(jumps, h.String())
			}
			if !reflect.DeepEqual(jumps, tt.jumps) {
				t.Errorf("jumps %v, want %v", jumps, tt.jumps)
			}
			if len(hops) > 0 && hops[0].name == "bastion" && !reflect.DeepEqual(hops[0], bastion) {
				t.Errorf("bastion %+v, want %+v", hops[0], bastion)
			}
		})
	}
}

func TestResolveDoesNotAlterConfig(t *testing.T) {
	d := NewDialer(Options{SSHConfigPath: "none", Getenv: func(k string) string { return map[string]string{"HOME": "/h"}[k] }})
	c := Config{Host: "192.0.2.1", IdentityFiles: []string{"~/key"}}
	target, _, err := d.resolve(c)
	if err != nil {
		t.Fatal(err)
	}
	if c.IdentityFiles[0] != "~/key" || target.identityFiles[0] != "/h/key" {
		t.Errorf("config %v, target %v", c.IdentityFiles, target.identityFiles)
	}
}

func TestParseJump(t *testing.T) {
	tests := []struct {
		in, user, host string
		port           int
		err            bool
	}{
		{in: "bastion", host: "bastion"},
		{in: "ops@bastion", user: "ops", host: "bastion"},
		{in: "ops@bastion:2200", user: "ops", host: "bastion", port: 2200},
		{in: "ssh://ops@203.0.113.1:22", user: "ops", host: "203.0.113.1", port: 22},
		{in: "[2001:db8::1]", host: "2001:db8::1"},
		{in: "me@[2001:db8::1]:2022", user: "me", host: "2001:db8::1", port: 2022},
		{in: "bastion:0", err: true},
		{in: "bastion:x", err: true},
		{in: "ops@", err: true},
	}
	for _, tt := range tests {
		user, host, port, err := parseJump(tt.in)
		if (err != nil) != tt.err || user != tt.user || host != tt.host || port != tt.port {
			t.Errorf("parseJump(%q) = %q, %q, %d, %v", tt.in, user, host, port, err)
		}
	}
}
