package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kasmfleet/push/examples/lab/labenv"
	"github.com/kasmfleet/push/examples/lab/labssh"
	"github.com/kasmfleet/push/examples/lab/needs"
)

// TestLabBareMetalTrixie: push's whole cycle on the lab's bare-metal
// agent, kasm-agent-4 (Debian 13, Docker 26, NetworkManager, root cannot
// log in): apply as admin with become, check; the trunk NIC's
// NetworkManager keyfile, SNAT and the VLAN networks survive a Docker
// restart, and check says in sync after it, with no apply in between.
// A reboot of this agent under push (NetworkManager bringing push's trunk
// back, the boot unit restoring the rest) is proven once, by
// examples/lab/adoption TestAdoptSeedBuiltAgentTrixie.
func TestLabBareMetalTrixie(t *testing.T) {
	needs.NotShort(t)
	lab := labenv.Require(t)
	metal := lab.BareMetalAgents()
	if len(metal) == 0 {
		t.Fatal("the lab has no bare-metal agent: it was started by an older labctl; make lab-down && make lab-up")
	}
	a := metal[0]
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	sh := func(cmd string) string {
		t.Helper()
		out, err := lab.Run(ctx, a.Name, cmd)
		if err != nil {
			t.Fatalf("%s: %v\n%s", a.Name, err, out)
		}
		return strings.TrimSpace(out)
	}
	if err := lab.Reset(ctx, a.Name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := lab.Reset(context.Background(), a.Name); err != nil {
			t.Errorf("reset after the test: %v", err)
		}
	})

	// The host is what the test claims: root is refused, Docker 26,
	// NetworkManager running.
	root := labssh.Client{KeyPath: lab.KeyPath(), KnownHostsPath: lab.KnownHostsPath()}
	if _, err := root.Run(ctx, a.SSHAddr, "true"); err == nil {
		t.Fatalf("%s lets root log in", a.Name)
	}
	if v := sh("docker version --format '{{.Server.Version}}'"); !strings.HasPrefix(v, "26.") {
		t.Fatalf("%s runs Docker %q, want 26.x", a.Name, v)
	}
	sh("systemctl -q is-active NetworkManager")

	// inventory.hcl and bare-metal.hcl, limited to the bare-metal agent.
	files := []string{"--limit", a.Name, lab.InventoryPath(), lab.BareMetalInventoryPath()}
	r := pushLab(t, nil, nil, append([]string{"apply"}, files...)...)
	if r.code != exitOK || !strings.Contains(r.out, "1 done, 0 failed") {
		t.Fatalf("apply on %s: exit %d", a.Name, r.code)
	}
	inSync := func(when string) {
		t.Helper()
		if r := pushLab(t, nil, nil, append([]string{"check"}, files...)...); r.code != exitOK {
			t.Fatalf("check %s: exit %d, want 0 (in sync)", when, r.code)
		}
	}
	inSync("after apply")
	// The trunk is NetworkManager's, through push's keyfile.
	trunkUp := "nmcli -g GENERAL.STATE connection show push-trunk | grep -qx activated && " +
		"test -f /etc/NetworkManager/system-connections/push-trunk.nmconnection && ip -br link show eth1 | grep -q UP"
	sh(trunkUp)

	probe, err := lab.ProbeImage(ctx, a.Name)
	if err != nil {
		t.Fatal(err)
	}
	gw := lab.Gateway()
	reaches := func(when string) {
		t.Helper()
		// Egress through the extra LAN address (SNAT in push's nft table).
		src := sh("docker run --rm --network z_custom_a " + probe + " timeout 10 wget -q -O - http://" + gw.LANAddr + ":8080/")
		if src != a.ExtraAddr {
			t.Errorf("%s: z_custom_a leaves as %q, want %s", when, src, a.ExtraAddr)
		}
		// Both VLANs over the trunk, to their gateways.
		for net, addr := range map[string]string{"z_vlan150": gw.VLANAddrs[150], "z_vlan160": gw.VLANAddrs[160]} {
			if src := sh("docker run --rm --network " + net + " " + probe + " timeout 10 wget -q -O - http://" + addr + ":8080/"); !strings.HasPrefix(src, "192.0.2.") {
				t.Errorf("%s: %s reached %s as %q", when, net, addr, src)
			}
		}
	}
	reaches("after apply")

	// Docker 26 rewrites its own iptables rules on start: push's SNAT,
	// in its own nft table, stays.
	sh("systemctl restart docker && docker version >/dev/null")
	inSync("after systemctl restart docker")
	reaches("after systemctl restart docker")
}
