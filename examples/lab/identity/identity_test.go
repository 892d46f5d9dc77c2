package identity

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/kasmfleet/push/examples/lab/topology"
)

func entries(t *testing.T, vm topology.VM) map[string]*tar.Header {
	t.Helper()
	b, err := Tar(Input{VM: vm, HostKeyPEM: []byte("KEY"), HostKeyPub: []byte("PUB"), AuthorizedKey: []byte("AUTH"), Whoami: []byte("\x7fELF")})
	if err != nil {
		t.Fatal(err)
	}
	if len(b)%512 != 0 {
		t.Fatalf("archive is %d bytes; a disk needs whole 512-byte sectors", len(b))
	}
	out := map[string]*tar.Header{}
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range parents(strings.TrimSuffix(h.Name, "/")) {
			if out[p+"/"] == nil {
				t.Errorf("%s comes before its folder %s", h.Name, p)
			}
		}
		out[h.Name] = h
	}
}

func TestTarPerFlavour(t *testing.T) {
	agents := topology.Agents()
	tests := []struct {
		vm      topology.VM
		present []string
		absent  []string
	}{
		{agents[0], []string{"etc/network/interfaces", "etc/systemd/system/multi-user.target.wants/networking.service"},
			[]string{"etc/systemd/system/multi-user.target.wants/systemd-networkd.service", "etc/netplan/50-lab.yaml"}},
		{agents[1], []string{"etc/systemd/network/20-eth2.network", "etc/systemd/system/multi-user.target.wants/systemd-networkd.service"},
			[]string{"etc/network/interfaces", "etc/netplan/50-lab.yaml"}},
		{agents[2], []string{"etc/netplan/50-lab.yaml", "etc/systemd/system/sockets.target.wants/systemd-networkd.socket"},
			[]string{"etc/network/interfaces", "etc/systemd/network/20-eth2.network"}},
		{topology.Gateway(), []string{"etc/systemd/network/30-eth1.150.netdev", "etc/systemd/network/30-eth1.160.network",
			"etc/systemd/system/multi-user.target.wants/lab-whoami.service", "etc/systemd/system/lab-whoami.service",
			"usr/local/bin/lab-whoami", "etc/systemd/system/docker.service"},
			[]string{"etc/network/interfaces"}},
	}
	for _, tt := range tests {
		t.Run(tt.vm.Name, func(t *testing.T) {
			got := entries(t, tt.vm)
			for _, p := range append([]string{"etc/hostname", "etc/lab-identity", "etc/machine-id",
				"etc/ssh/ssh_host_ed25519_key", "root/.ssh/authorized_keys", "home/admin/.ssh/authorized_keys"}, tt.present...) {
				if got[p] == nil {
					t.Errorf("missing %s", p)
				}
			}
			for _, p := range tt.absent {
				if got[p] != nil {
					t.Errorf("unexpected %s", p)
				}
			}
			for _, p := range []string{"home/admin/", "home/admin/.ssh/", "home/admin/.ssh/authorized_keys"} {
				if h := got[p]; h == nil || h.Uid != AdminUID || h.Gid != AdminUID {
					t.Errorf("%s is not admin's: %v", p, h)
				}
			}
			for p, mode := range map[string]int64{"etc/ssh/ssh_host_ed25519_key": 0o600, "root/": 0o700, "root/.ssh/": 0o700} {
				if h := got[p]; h == nil || h.Mode != mode {
					t.Errorf("%s: mode %v, want %o", p, h, mode)
				}
			}
		})
	}
}

// The gateway carries its whoami service: the binary, executable, and a
// unit that runs it; without the binary there is no gateway.
func TestTarGatewayWhoami(t *testing.T) {
	got := entries(t, topology.Gateway())
	if h := got["usr/local/bin/lab-whoami"]; h == nil || h.Mode != 0o755 || h.Size != 4 {
		t.Errorf("lab-whoami: %+v", h)
	}
	if _, err := Tar(Input{VM: topology.Gateway()}); err == nil || !strings.Contains(err.Error(), "lab-whoami") {
		t.Errorf("gateway without lab-whoami: %v", err)
	}
	for _, vm := range topology.Agents() {
		if got := entries(t, vm); got["usr/local/bin/lab-whoami"] != nil {
			t.Errorf("%s carries lab-whoami", vm.Name)
		}
	}
}

func TestTrunkLeftToPush(t *testing.T) {
	for _, vm := range append(topology.Agents(), topology.BareMetalAgents()...) {
		b, err := Tar(Input{VM: vm})
		if err != nil {
			t.Fatal(err)
		}
		tr := tar.NewReader(bytes.NewReader(b))
		for {
			h, err := tr.Next()
			if err != nil {
				break
			}
			body, _ := io.ReadAll(tr)
			var config []string // without comments
			for _, line := range strings.Split(string(body), "\n") {
				if !strings.HasPrefix(strings.TrimSpace(line), "#") {
					config = append(config, line)
				}
			}
			if strings.Contains(strings.Join(config, "\n"), "eth1") || strings.Contains(h.Name, "eth1") {
				t.Errorf("%s: %s configures eth1, the trunk push owns", vm.Name, h.Name)
			}
		}
	}
}

// kasm-agent-4: NetworkManager keyfiles for eth0 and eth2 (root-only
// files), NetworkManager enabled, and no key for root, who does not log in.
func TestTarNetworkManager(t *testing.T) {
	vm := topology.BareMetalAgents()[0]
	got := entries(t, vm)
	dir := "etc/NetworkManager/system-connections/"
	for _, p := range []string{dir + "lab-eth0.nmconnection", dir + "lab-eth2.nmconnection",
		"etc/systemd/system/multi-user.target.wants/NetworkManager.service", "home/admin/.ssh/authorized_keys"} {
		if got[p] == nil {
			t.Errorf("missing %s", p)
		}
	}
	for _, p := range []string{dir + "lab-eth0.nmconnection", dir + "lab-eth2.nmconnection"} {
		if h := got[p]; h != nil && (h.Mode != 0o600 || h.Uid != 0) {
			t.Errorf("%s: mode %o uid %d; NetworkManager ignores keyfiles others can read", p, h.Mode, h.Uid)
		}
	}
	for _, p := range []string{"root/.ssh/authorized_keys", "etc/network/interfaces", "etc/netplan/50-lab.yaml",
		"etc/systemd/system/multi-user.target.wants/systemd-networkd.service"} {
		if got[p] != nil {
			t.Errorf("unexpected %s", p)
		}
	}
	b, err := Tar(Input{VM: vm})
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		if h.Name == dir+"lab-eth2.nmconnection" {
			body, _ := io.ReadAll(tr)
			for _, want := range []string{"interface-name=eth2", "address1=198.51.100.14/24", "address2=198.51.100.114/24"} {
				if !strings.Contains(string(body), want) {
					t.Errorf("lab-eth2 lacks %s:\n%s", want, body)
				}
			}
		}
	}
}
