package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kasmfleet/push/examples/lab/labenv"
)

// fetch is the agent's view of the gateway's source-IP endpoint.
func fetch(url string) string {
	// busybox 1.35's wget crashes on -T; timeout(1) bounds it instead.
	return "timeout 10 busybox wget -q -O - " + url
}

func TestTaggedVLANReachesGateway(t *testing.T) {
	lab := labenv.Require(t)
	gw := lab.Gateway()
	agents := lab.Agents()
	cases := []struct {
		agent string
		vid   int
		addr  string // inside the VLAN's /25, outside push's slots
	}{
		{agents[0].Name, 150, "192.0.2.100"},
		{agents[1].Name, 160, "192.0.2.228"},
		{agents[2].Name, 150, "192.0.2.101"},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s/vlan%d", c.agent, c.vid), func(t *testing.T) {
			ctx := testContext(t, 4*time.Minute)
			if err := lab.Reset(ctx, c.agent); err != nil {
				t.Fatal(err)
			}
			link := fmt.Sprintf("eth1.%d", c.vid)
			t.Cleanup(func() {
				ctx := testContext(t, time.Minute)
				if _, err := lab.Run(ctx, c.agent, "ip link del "+link+"; ip link set eth1 down"); err != nil {
					t.Errorf("cleanup: %v", err)
				}
			})
			setup := fmt.Sprintf("modprobe 8021q && ip link set eth1 up && ip link add link eth1 name %s type vlan id %d && "+
				"ip addr add %s/25 dev %s && ip link set %s up", link, c.vid, c.addr, link, link)
			if _, err := lab.Run(ctx, c.agent, setup); err != nil {
				t.Fatal(err)
			}
			target := gw.VLANAddrs[c.vid]
			if _, err := lab.Run(ctx, c.agent, "ping -c 3 -W 3 "+target); err != nil {
				t.Fatalf("ping %s over VLAN %d: %v", target, c.vid, err)
			}
			out, err := lab.Run(ctx, c.agent, fetch(fmt.Sprintf("http://%s:%d/", target, gw.WhoAmIPort)))
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.TrimSpace(out); got != c.addr {
				t.Errorf("gateway saw source %q, want %s", got, c.addr)
			}
		})
	}
}

func TestSourceIPEndpoint(t *testing.T) {
	lab := labenv.Require(t)
	ctx := testContext(t, 4*time.Minute)
	gw := lab.Gateway()
	for _, a := range lab.Agents() {
		out, err := lab.Run(ctx, a.Name, fetch(fmt.Sprintf("http://%s:%d/", gw.LANAddr, gw.WhoAmIPort)))
		if err != nil {
			t.Fatalf("%s: %v", a.Name, err)
		}
		if got := strings.TrimSpace(out); got != a.LANAddr {
			t.Errorf("%s: gateway saw %q, want %s", a.Name, got, a.LANAddr)
		}
		// The extra address, which SNAT rules will use, is on the LAN too.
		if _, err := lab.Run(ctx, gw.Name, "ping -c 2 -W 3 "+a.ExtraAddr); err != nil {
			t.Errorf("gateway cannot reach %s's extra address: %v", a.Name, err)
		}
	}
}

func TestReset(t *testing.T) {
	lab := labenv.Require(t)
	ctx := testContext(t, 4*time.Minute)
	a := lab.Agents()[1].Name
	mess := "docker network create z_lab_reset_test >/dev/null && nft add table ip push && " +
		"mkdir -p /var/lib/push && touch /etc/systemd/network/90-push-eth1.network && " +
		"modprobe 8021q && ip link add link eth1 name eth1.161 type vlan id 161 && ip link set eth1 up"
	if _, err := lab.Run(ctx, a, mess); err != nil {
		t.Fatal(err)
	}
	if err := lab.Reset(ctx, a); err != nil {
		t.Fatal(err)
	}
	check := "docker network ls --format '{{.Name}}' | grep '^z_'; nft list tables | grep push; " +
		"ls -d /var/lib/push /etc/systemd/network/*push* 2>/dev/null; ip -o link show | grep ' eth1\\.'; " +
		"ip -o link show eth1 | grep -o ',UP'; true"
	out, err := lab.Run(ctx, a, check)
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(out) != "" {
		t.Errorf("left after Reset: %q", out)
	}
}

// A container on a Docker bridge network reaches the gateway, masqueraded
// to the agent's LAN address: Docker, its iptables rules and the probe
// image work.
func TestContainerReachesGateway(t *testing.T) {
	lab := labenv.Require(t)
	ctx := testContext(t, 4*time.Minute)
	a := lab.Agents()[2]
	gw := lab.Gateway()
	if err := lab.Reset(ctx, a.Name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := lab.Reset(testContext(t, time.Minute), a.Name); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	probe, err := lab.ProbeImage(ctx, a.Name)
	if err != nil {
		t.Fatal(err)
	}
	cmd := fmt.Sprintf("docker network create z_lab_e2e >/dev/null && docker run --rm --network z_lab_e2e %s timeout 10 wget -q -O - http://%s:%d/",
		probe, gw.LANAddr, gw.WhoAmIPort)
	out, err := lab.Run(ctx, a.Name, cmd)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(out); got != a.LANAddr {
		t.Errorf("gateway saw %q, want the agent's %s", got, a.LANAddr)
	}
}
