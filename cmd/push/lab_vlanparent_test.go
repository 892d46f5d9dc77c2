package main

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kasmfleet/push/examples/lab/labenv"
	"github.com/kasmfleet/push/examples/lab/needs"
)

// The admin's own VLAN sub-interfaces on kasm-agent-2, made before push:
// eth1.150 bare, eth1.160 with a host address for the routed (ipvlan l3)
// network, which the gateway routes the agent's ip-range to.
const (
	parentAgent   = "kasm-agent-2"
	parentHostIP  = "192.0.2.130" // in the gateway's own slice: never an agent's
	parentRange4  = "192.0.2.32/28"
	parentRange6  = "2001:db8:150:0:4000::/67" // slot 1 of the /67s; the gateway's is skipped
	parentRange16 = "192.0.2.160/28"
	handMadeLinks = `set -e
ip link set eth1 up
ip link add link eth1 name eth1.150 type vlan id 150
ip link add link eth1 name eth1.160 type vlan id 160
ip addr add ` + parentHostIP + `/25 dev eth1.160
ip link set eth1.150 up
ip link set eth1.160 up
`
	linkIndexes = `cat /sys/class/net/eth1.150/ifindex /sys/class/net/eth1.160/ifindex; ip -o -4 addr show dev eth1.160 | awk '{print $4}'`
)

// parentInventory is kasm-agent-2 alone on a dual-stack ipvlan l2 VLAN 150
// and, unless l2Only, a routed ipvlan l3 VLAN 160.
func parentInventory(t *testing.T, lab *labenv.Lab, l2Only bool) string {
	t.Helper()
	src := fmt.Sprintf(`defaults {
  user          = "root"
  known_hosts   = %q
  identity_file = %q
}

vlan "users_a" {
  id         = 150
  subnet     = "192.0.2.0/25"
  gateway    = "192.0.2.1"
  subnet6    = "2001:db8:150::/64"
  gateway6   = "2001:db8:150::1"
  network    = "z_vlan150"
  per_agent  = 28
  verify_url = "http://192.0.2.1:8080/"
}
`, lab.KnownHostsPath(), lab.KeyPath())
	vlans := `["users_a"]`
	if !l2Only {
		src += `
vlan "users_b" {
  id         = 160
  subnet     = "192.0.2.128/25"
  gateway    = "192.0.2.129"
  network    = "z_vlan160"
  driver     = "ipvlan"
  mode       = "l3"
  per_agent  = 28
  verify_url = "http://192.0.2.129:8080/"
}
`
		vlans = `["users_a", "users_b"]`
	}
	src += fmt.Sprintf(`
agent %q {
  address   = "127.0.0.1"
  port      = 2202
  trunk_nic = "eth1"
  slot      = 1
  vlans     = %s
}
`, parentAgent, vlans)
	path := filepath.Join(t.TempDir(), "parents.hcl")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestLabHandMadeParentsIPv6L3: VLAN sub-interfaces the admin made by hand
// are the networks' parents as they are. push converges a dual-stack
// ipvlan l2 network on one (verify reaches the gateway over IPv4 and IPv6)
// and a routed ipvlan l3 network on the other; containers reach the
// gateway from the agent's ranges; the links keep their index and
// address through apply, check and a prune that removes a network.
func TestLabHandMadeParentsIPv6L3(t *testing.T) {
	needs.NotShort(t)
	lab := labenv.Require(t)
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	ctx := context.Background()
	if err := lab.Reset(ctx, parentAgent); err != nil {
		t.Fatal(err)
	}
	gw := lab.Gateway().Name
	t.Cleanup(func() {
		lab.Run(context.Background(), gw, "ip route del "+parentRange16+" 2>/dev/null; true")
		if err := lab.Reset(context.Background(), parentAgent); err != nil {
			t.Error(err)
		}
	})
	if out, err := lab.Run(ctx, parentAgent, handMadeLinks); err != nil {
		t.Fatalf("hand-made VLAN links: %v: %s", err, out)
	}
	// The router's half of the routed design: the agent's l3 range via
	// the agent's address on VLAN 160.
	if out, err := lab.Run(ctx, gw, "ip route replace "+parentRange16+" via "+parentHostIP); err != nil {
		t.Fatalf("gateway route: %v: %s", err, out)
	}
	before, err := lab.Run(ctx, parentAgent, linkIndexes)
	if err != nil {
		t.Fatal(err)
	}
	links := func(when string) {
		t.Helper()
		after, err := lab.Run(ctx, parentAgent, linkIndexes)
		if err != nil || after != before {
			t.Errorf("%s: hand-made links (ifindex of eth1.150, eth1.160; address on eth1.160) were %q, now %q (%v)", when, before, after, err)
		}
	}

	inv := parentInventory(t, lab, false)
	r := pushLab(t, nil, nil, "apply", "--json", inv)
	if r.code != exitOK {
		t.Fatalf("apply: exit %d, want 0", r.code)
	}
	for _, want := range []string{"answers a probe over IPv6", "sees an address of this agent's IPv6 ip-range"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("apply output lacks the verify check %q", want)
		}
	}
	links("after apply")

	probe, err := lab.ProbeImage(ctx, parentAgent)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ network, url, rng string }{
		{"z_vlan150", "http://192.0.2.1:8080/", parentRange4},
		{"z_vlan150", "http://[2001:db8:150::1]:8080/", parentRange6},
		{"z_vlan160", "http://192.0.2.129:8080/", parentRange16},
	} {
		cmd := fmt.Sprintf("docker run --rm --network %s %s timeout 20 wget -q -O - %s", c.network, probe, c.url)
		out, err := lab.Run(ctx, parentAgent, cmd)
		a, perr := netip.ParseAddr(strings.TrimSpace(out))
		if err != nil || perr != nil || !netip.MustParsePrefix(c.rng).Contains(a) {
			t.Errorf("a container on %s fetching %s: saw %q (%v), want an address of %s", c.network, c.url, out, err, c.rng)
		}
	}

	if r := pushLab(t, nil, nil, "check", inv); r.code != exitOK {
		t.Errorf("check: exit %d, want 0", r.code)
	}
	links("after check")

	// Without users_b, prune removes z_vlan160; its parent stays as made.
	if r := pushLab(t, nil, nil, "apply", "--prune", parentInventory(t, lab, true)); r.code != exitOK {
		t.Fatalf("apply --prune: exit %d, want 0", r.code)
	}
	if out, err := lab.Run(ctx, parentAgent, "docker network ls --format '{{.Name}}'"); err != nil || strings.Contains(out, "z_vlan160") {
		t.Errorf("z_vlan160 after prune: %q (%v)", out, err)
	}
	links("after prune")
}
