package netcfg

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

func touch(t *testing.T, root string, paths ...string) {
	t.Helper()
	for _, p := range paths {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestDetect(t *testing.T) {
	wants := "/etc/systemd/system/multi-user.target.wants/"
	for _, tc := range []struct {
		files []string
		want  Flavor
	}{
		{nil, Unknown},
		{[]string{"/etc/network/interfaces", "/sbin/ifup"}, IfUpDown},
		{[]string{"/etc/network/interfaces"}, Unknown},
		{[]string{"/etc/network/interfaces", "/sbin/ifup", wants + "systemd-networkd.service", "/etc/systemd/network/20-eth0.network"}, Networkd},
		{[]string{"/etc/network/interfaces", "/sbin/ifup", "/etc/netplan/50-cloud-init.yaml", "/usr/sbin/netplan", wants + "systemd-networkd.service"}, Netplan},
		{[]string{"/run/NetworkManager/NetworkManager.pid", "/usr/sbin/NetworkManager", "/etc/network/interfaces", "/sbin/ifup"}, NetworkManager},
	} {
		root := t.TempDir()
		touch(t, root, tc.files...)
		if got := (Host{Root: root}).Detect(); got != tc.want {
			t.Errorf("Detect with %v = %s, want %s", tc.files, got, tc.want)
		}
	}
}

func TestRenderGolden(t *testing.T) {
	for _, f := range []Flavor{IfUpDown, Networkd, Netplan, NetworkManager} {
		got := Render(f, "eth1")
		golden := filepath.Join("testdata", string(f)+".golden")
		if *update {
			os.WriteFile(golden, got, 0o644)
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (go test -update)", err)
		}
		if string(got) != string(want) {
			t.Errorf("%s:\n%s\nwant\n%s", f, got, want)
		}
	}
}

func TestIfUpDownPersist(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name       string
		interfaces string
		wantErr    string
		wantAdded  bool   // push appended its source line
		wantOurs   bool   // push wrote its own file
		admin      string // the admin's /etc/network/interfaces.d/trunk
		ours       bool   // push's file is there already
	}{
		{name: "sources interfaces.d", interfaces: "source /etc/network/interfaces.d/*\nauto lo\niface lo inet loopback\n", wantOurs: true},
		{name: "source-directory", interfaces: "source-directory /etc/network/interfaces.d\n", wantOurs: true},
		{name: "sources nothing", interfaces: "auto lo\niface lo inet loopback", wantAdded: true, wantOurs: true},
		{name: "admin's manual stanza", interfaces: "auto eth1\niface eth1 inet manual\n"},
		{name: "admin's manual stanza without auto", interfaces: "source /etc/network/interfaces.d/*\niface eth1 inet manual\n"},
		{name: "admin's manual stanza in interfaces.d", interfaces: "source /etc/network/interfaces.d/*\n",
			admin: "auto eth1\niface eth1 inet manual\n"},
		{name: "admin's stanza and push's: a duplicate removed", interfaces: "source /etc/network/interfaces.d/*\nauto eth1\niface eth1 inet manual\n",
			ours: true},
		{name: "admin configures the trunk with dhcp", interfaces: "source /etc/network/interfaces.d/*\nallow-hotplug eth1\niface eth1 inet dhcp\n",
			wantErr: `already has "iface eth1 inet dhcp"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			h := Host{Root: root}
			ifaces := filepath.Join(root, interfacesFile)
			os.MkdirAll(filepath.Dir(ifaces), 0o755)
			os.WriteFile(ifaces, []byte(tc.interfaces), 0o644)
			os.MkdirAll(filepath.Join(root, "/etc/network/interfaces.d"), 0o755)
			if tc.admin != "" {
				os.WriteFile(filepath.Join(root, "/etc/network/interfaces.d/trunk"), []byte(tc.admin), 0o644)
			}
			if tc.ours {
				os.WriteFile(filepath.Join(root, IfUpDownFile), Render(IfUpDown, "eth1"), 0o644)
			}
			before := h.Check(IfUpDown, "eth1")
			if before.Persisted != (tc.wantErr == "" && !tc.wantOurs && !tc.ours) {
				t.Fatalf("Check before persist = %+v", before)
			}
			if before.Persisted {
				return // the admin's file does it; push writes nothing
			}
			if tc.ours {
				if err := h.Persist(ctx, IfUpDown, "eth1"); err != nil {
					t.Fatal(err)
				}
				if _, err := os.Stat(filepath.Join(root, IfUpDownFile)); !os.IsNotExist(err) {
					t.Errorf("push's duplicate stanza is still there: %v", err)
				}
				if st := h.Check(IfUpDown, "eth1"); !st.Persisted {
					t.Errorf("Check after removing the duplicate: %+v", st)
				}
				return
			}
			err := h.Persist(ctx, IfUpDown, "eth1")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Persist: %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := h.Persist(ctx, IfUpDown, "eth1"); err != nil {
				t.Fatalf("second persist: %v", err)
			}
			after, _ := os.ReadFile(ifaces)
			added := strings.Count(string(after), "source "+IfUpDownFile)
			if (added == 1) != tc.wantAdded || added > 1 {
				t.Errorf("interfaces after two persists:\n%s", after)
			}
			if !strings.HasPrefix(string(after), tc.interfaces) {
				t.Errorf("the admin's lines changed:\n%s", after)
			}
			if st := h.Check(IfUpDown, "eth1"); !st.Persisted {
				t.Errorf("Check after persist: %+v", st)
			}
		})
	}
}

func TestPersistOtherFlavors(t *testing.T) {
	for _, f := range []Flavor{Networkd, Netplan, NetworkManager} {
		root := t.TempDir()
		var ran []string
		h := Host{Root: root, Run: func(_ context.Context, name string, args ...string) error {
			ran = append(ran, name+" "+strings.Join(args, " "))
			return nil
		}}
		if st := h.Check(f, "eth1"); st.Persisted {
			t.Fatalf("%s: persisted before writing", f)
		}
		if err := h.Persist(context.Background(), f, "eth1"); err != nil {
			t.Fatal(err)
		}
		if st := h.Check(f, "eth1"); !st.Persisted {
			t.Errorf("%s: not persisted after writing: %+v", f, st)
		}
		if st := h.Check(f, "eth2"); st.Persisted {
			t.Errorf("%s: file for eth1 counts for eth2", f)
		}
		fi, err := os.Stat(filepath.Join(root, File(f)))
		if err != nil {
			t.Fatal(err)
		}
		if f != Networkd && fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", f, fi.Mode().Perm())
		}
		if len(ran) != 1 || strings.Contains(ran[0], "apply") {
			t.Errorf("%s: ran %q, want one reload that applies nothing", f, ran)
		}
		if err := h.Remove(); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(root, File(f))); !os.IsNotExist(err) {
			t.Errorf("%s: file left after Remove", f)
		}
	}
}
