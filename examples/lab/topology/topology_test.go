package topology

import "testing"

func TestVMsAreDistinct(t *testing.T) {
	seen := map[string]string{}
	for _, vm := range All() {
		for _, v := range []string{vm.Name, vm.SSHAddr(), vm.MgmtMAC, vm.TrunkMAC, vm.LANMAC, vm.LANAddr, vm.TrunkTap(), vm.LANTap()} {
			if other, dup := seen[v]; dup {
				t.Errorf("%s and %s share %s", other, vm.Name, v)
			}
			seen[v] = vm.Name
		}
		if len(vm.TrunkTap()) > 15 || len(vm.LANTap()) > 15 {
			t.Errorf("%s: tap names longer than IFNAMSIZ-1", vm.Name)
		}
	}
}

func TestAgentAddressing(t *testing.T) {
	want := []struct{ name, ssh, mac, lan, extra, flavour string }{
		{"kasm-agent-1", "127.0.0.1:2201", "52:54:00:00:01:01", "198.51.100.11", "198.51.100.111", IfUpDown},
		{"kasm-agent-2", "127.0.0.1:2202", "52:54:00:00:01:02", "198.51.100.12", "198.51.100.112", Networkd},
		{"kasm-agent-3", "127.0.0.1:2203", "52:54:00:00:01:03", "198.51.100.13", "198.51.100.113", Netplan},
	}
	got := Agents()
	if len(got) != len(want) {
		t.Fatalf("%d agents, want %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.Name != w.name || g.SSHAddr() != w.ssh || g.TrunkMAC != w.mac || g.LANAddr != w.lan || g.ExtraAddr != w.extra || g.NetConfig != w.flavour {
			t.Errorf("agent %d = %+v, want %+v", i, g, w)
		}
	}
	if g := Gateway(); g.SSHAddr() != "127.0.0.1:2200" || g.LANAddr != "198.51.100.1" {
		t.Errorf("gateway = %+v", g)
	}
}

func TestBareMetalAgent(t *testing.T) {
	got := BareMetalAgents()
	if len(got) != 1 {
		t.Fatalf("%d bare-metal agents, want 1", len(got))
	}
	a := got[0]
	if a.Name != "kasm-agent-4" || a.SSHAddr() != "127.0.0.1:2204" || a.TrunkMAC != "52:54:00:00:01:04" ||
		a.LANAddr != "198.51.100.14" || a.ExtraAddr != "198.51.100.114" || a.NetConfig != NetworkManager {
		t.Errorf("kasm-agent-4 = %+v", a)
	}
	if !a.BareMetal || a.ImageName() != Trixie || a.LoginUser() != "admin" {
		t.Errorf("kasm-agent-4 is not a bare-metal trixie agent logging in as admin: %+v", a)
	}
	for _, vm := range append(Agents(), Gateway()) {
		if vm.BareMetal || vm.ImageName() != Bookworm || vm.LoginUser() != "root" {
			t.Errorf("%s: bare metal %v, image %s, user %s", vm.Name, vm.BareMetal, vm.ImageName(), vm.LoginUser())
		}
	}
	if imgs := Images(All()); len(imgs) != 2 || imgs[0] != Bookworm || imgs[1] != Trixie {
		t.Errorf("Images(All()) = %q", imgs)
	}
	// The demo needs neither kasm-agent-4 nor its image.
	if imgs := Images(Demo()); len(imgs) != 1 || imgs[0] != Bookworm {
		t.Errorf("Images(Demo()) = %q", imgs)
	}
	for _, vm := range Demo() {
		if vm.BareMetal {
			t.Errorf("the demo boots bare-metal %s", vm.Name)
		}
	}
	if _, ok := ByName("kasm-agent-4"); !ok {
		t.Error("ByName does not find kasm-agent-4")
	}
}

func TestStateImageOf(t *testing.T) {
	s := &State{Image: "/img/b", Images: map[string]string{Bookworm: "/img/b", Trixie: "/img/t"}}
	if got := s.ImageOf(BareMetalAgents()[0]); got != "/img/t" {
		t.Errorf("kasm-agent-4 boots %s", got)
	}
	if got := s.ImageOf(Agents()[0]); got != "/img/b" {
		t.Errorf("kasm-agent-1 boots %s", got)
	}
	old := &State{Image: "/img/b"} // lab.json of an older labctl
	if got := old.ImageOf(Agents()[0]); got != "/img/b" {
		t.Errorf("kasm-agent-1 boots %s from an older state", got)
	}
}
