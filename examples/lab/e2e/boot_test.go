package e2e

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/kasmfleet/push/examples/lab/labenv"
	"github.com/kasmfleet/push/examples/lab/labssh"
)

func testContext(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func TestAgentsBooted(t *testing.T) {
	lab := labenv.Require(t)
	for _, a := range lab.Agents() {
		t.Run(a.Name, func(t *testing.T) {
			ctx := testContext(t, 2*time.Minute)
			out, err := lab.Run(ctx, a.Name, "hostname; cat /proc/1/comm; systemctl --failed --no-legend --plain")
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSpace(out), "\n")
			if len(lines) < 2 || lines[0] != a.Name || lines[1] != "systemd" {
				t.Fatalf("hostname and init = %q, want %s and systemd", lines, a.Name)
			}
			if len(lines) > 2 {
				t.Errorf("failed units: %q", lines[2:])
			}
		})
	}
}

func TestDockerAnswers(t *testing.T) {
	lab := labenv.Require(t)
	ctx := testContext(t, 4*time.Minute)
	for _, a := range lab.Agents() {
		out, err := lab.Run(ctx, a.Name, "docker version --format '{{.Server.Version}}'")
		if err != nil {
			t.Fatalf("%s: %v", a.Name, err)
		}
		if v := strings.TrimSpace(out); !strings.HasPrefix(v, "20.10.") {
			t.Errorf("%s: docker server %q, want Debian's 20.10", a.Name, v)
		}
	}
}

func TestHostKeyChecked(t *testing.T) {
	lab := labenv.Require(t)
	ctx := testContext(t, time.Minute)
	agents := lab.Agents()
	good := labssh.Client{KeyPath: lab.KeyPath(), KnownHostsPath: lab.KnownHostsPath()}
	if _, err := good.Run(ctx, agents[0].SSHAddr, "true"); err != nil {
		t.Fatalf("with the lab's known_hosts: %v", err)
	}

	// A known_hosts that gives agent 1's address the key of agent 2.
	known, err := os.ReadFile(lab.KnownHostsPath())
	if err != nil {
		t.Fatal(err)
	}
	keyOf := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(known)), "\n") {
		host, key, _ := strings.Cut(line, " ")
		keyOf[host] = key
	}
	p1 := "[" + strings.Replace(agents[0].SSHAddr, ":", "]:", 1)
	p2 := "[" + strings.Replace(agents[1].SSHAddr, ":", "]:", 1)
	if keyOf[p1] == "" || keyOf[p2] == "" || keyOf[p1] == keyOf[p2] {
		t.Fatalf("known_hosts should hold distinct keys for %s and %s:\n%s", p1, p2, known)
	}
	wrong := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(wrong, []byte(p1+" "+keyOf[p2]+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bad := labssh.Client{KeyPath: lab.KeyPath(), KnownHostsPath: wrong}
	_, err = bad.Run(ctx, agents[0].SSHAddr, "true")
	var keyErr *knownhosts.KeyError
	if !errors.As(err, &keyErr) || len(keyErr.Want) == 0 {
		t.Fatalf("with a wrong host key: err = %v, want a host key mismatch", err)
	}
}

func TestNetworkFlavours(t *testing.T) {
	lab := labenv.Require(t)
	checks := map[string]string{
		"ifupdown":         "systemctl -q is-active networking && ! systemctl -q is-active systemd-networkd && grep -q 'iface eth2' /etc/network/interfaces",
		"systemd-networkd": "systemctl -q is-active systemd-networkd && ! systemctl -q is-enabled networking 2>/dev/null && ls /etc/systemd/network/*.network && ! ls /etc/netplan/*.yaml",
		"netplan":          "systemctl -q is-active systemd-networkd && ls /etc/netplan/50-lab.yaml && ls /run/systemd/network/*netplan*",
	}
	for _, a := range lab.Agents() {
		t.Run(a.Name, func(t *testing.T) {
			ctx := testContext(t, 4*time.Minute)
			if err := lab.Reset(ctx, a.Name); err != nil {
				t.Fatal(err)
			}
			check, ok := checks[a.NetConfig]
			if !ok {
				t.Fatalf("unknown flavour %q", a.NetConfig)
			}
			if _, err := lab.Run(ctx, a.Name, check); err != nil {
				t.Errorf("%s is not configured by %s: %v", a.Name, a.NetConfig, err)
			}
			out, err := lab.Run(ctx, a.Name, "ip -o -4 addr show dev eth2; echo --; ip -o addr show dev eth1; ip -o link show | grep -c ' eth1\\.' || true")
			if err != nil {
				t.Fatal(err)
			}
			eth2, rest, _ := strings.Cut(out, "--\n")
			for _, addr := range []string{a.LANAddr + "/24", a.ExtraAddr + "/24"} {
				if !strings.Contains(eth2, " "+addr+" ") {
					t.Errorf("eth2 lacks %s: %s", addr, eth2)
				}
			}
			if strings.Contains(rest, "inet") || strings.TrimSpace(rest) != "0" {
				t.Errorf("eth1 (the trunk) should have no address and no VLAN links: %q", rest)
			}
			mac, err := lab.Run(ctx, a.Name, "cat /sys/class/net/eth1/address")
			if err != nil {
				t.Fatal(err)
			}
			if strings.TrimSpace(mac) != a.TrunkMAC {
				t.Errorf("eth1 MAC = %q, want %s", strings.TrimSpace(mac), a.TrunkMAC)
			}
		})
	}
}
