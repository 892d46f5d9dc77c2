package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/kasmfleet/push/examples/lab/labenv"
	"github.com/kasmfleet/push/examples/lab/labssh"
)

// TestBareMetalAgentBooted: kasm-agent-4 is Debian 13 with systemd and no
// failed unit, Docker 26, NetworkManager with eth2's two addresses and
// nothing on eth1; admin logs in and becomes root with sudo -n, root
// cannot log in.
func TestBareMetalAgentBooted(t *testing.T) {
	lab := labenv.Require(t)
	metal := lab.BareMetalAgents()
	if len(metal) != 1 {
		t.Fatalf("%d bare-metal agents, want 1 (a lab started by an older labctl? make lab-down && make lab-up)", len(metal))
	}
	a := metal[0]
	ctx := testContext(t, 4*time.Minute)
	if err := lab.Reset(ctx, a.Name); err != nil {
		t.Fatal(err)
	}
	out, err := lab.Run(ctx, a.Name, "hostname; cat /proc/1/comm; . /etc/os-release; echo $VERSION_ID; "+
		"docker version --format '{{.Server.Version}}'; systemctl is-active NetworkManager; systemctl --failed --no-legend --plain")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < 5 || lines[0] != a.Name || lines[1] != "systemd" || lines[2] != "13" ||
		!strings.HasPrefix(lines[3], "26.") || lines[4] != "active" {
		t.Fatalf("hostname, init, Debian, Docker, NetworkManager = %q; want %s, systemd, 13, 26.x, active", lines, a.Name)
	}
	if len(lines) > 5 {
		t.Errorf("failed units: %q", lines[5:])
	}

	out, err = lab.Run(ctx, a.Name, "ip -o -4 addr show dev eth2")
	if err != nil {
		t.Fatal(err)
	}
	for _, addr := range []string{a.LANAddr + "/24", a.ExtraAddr + "/24"} {
		if !strings.Contains(out, " "+addr+" ") {
			t.Errorf("eth2 lacks %s: %s", addr, out)
		}
	}
	out, err = lab.Run(ctx, a.Name, "ip -o addr show dev eth1 scope global; ip -o link show | grep ' eth1\\.'; "+
		"nmcli -g DEVICE connection show --active | grep -x eth1; true")
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(out) != "" {
		t.Errorf("eth1 (the trunk) should have no address, no VLAN links and no NetworkManager profile: %q", out)
	}

	admin := labssh.Client{KeyPath: lab.KeyPath(), KnownHostsPath: lab.KnownHostsPath(), User: "admin"}
	out, err = admin.Run(ctx, a.SSHAddr, "id -u; sudo -n id -u")
	if f := strings.Fields(out); err != nil || len(f) != 2 || f[0] != "1000" || f[1] != "0" {
		t.Errorf("admin on %s: uids %q (%v), want 1000 then 0", a.Name, f, err)
	}
	root := labssh.Client{KeyPath: lab.KeyPath(), KnownHostsPath: lab.KnownHostsPath()}
	if _, err := root.Run(ctx, a.SSHAddr, "true"); err == nil {
		t.Errorf("root logs in to %s", a.Name)
	}
}
