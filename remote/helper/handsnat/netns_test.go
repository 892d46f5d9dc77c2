package handsnat

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/kasmfleet/push/examples/lab/needs"
	"github.com/kasmfleet/push/examples/lab/nstest"
)

// TestReadRemove writes the seed's rule with the real iptables-nft and a
// rule in nft's own syntax in a throwaway network namespace, finds both
// with their boot copy, and removes them live and at boot.
func TestReadRemove(t *testing.T) {
	needs.Command(t, "nsenter", "iptables-nft", "iptables-nft-save", "nft")
	ns, _ := nstest.New(t)
	nsPath := fmt.Sprintf("/proc/%d/fd/%d", os.Getpid(), int(ns))
	ctx := context.Background()
	run := func(ctx context.Context, name string, args ...string) ([]byte, error) {
		out, err := exec.CommandContext(ctx, "nsenter", append([]string{"--net=" + nsPath, name}, args...)...).Output()
		if err != nil {
			return out, fmt.Errorf("%s %s: %w", name, strings.Join(args, " "), err)
		}
		return out, nil
	}
	for _, cmd := range [][]string{
		{"iptables-nft", "-t", "nat", "-A", "POSTROUTING", "-s", "172.19.0.0/16", "!", "-o", "z_custom_a", "-j", "SNAT", "--to-source", "192.168.4.153"},
		{"nft", "add table ip handmade"},
		{"nft", "add chain ip handmade post { type nat hook postrouting priority srcnat; }"},
		{"nft", "add rule ip handmade post ip saddr 172.20.0.0/16 oifname != z_custom_b snat to 192.168.56.103"},
	} {
		if _, err := run(ctx, cmd[0], strings.Fields(strings.Join(cmd[1:], " "))...); err != nil {
			t.Fatal(err)
		}
	}
	root := t.TempDir()
	os.MkdirAll(root+"/etc/iptables", 0o755)
	rulesV4 := "*nat\n-A POSTROUTING -s 172.19.0.0/16 ! -o z_custom_a -j SNAT --to-source 192.168.4.153\nCOMMIT\n"
	if err := os.WriteFile(root+"/etc/iptables/rules.v4", []byte(rulesV4), 0o640); err != nil {
		t.Fatal(err)
	}
	h := Host{Root: root, Output: run}
	rules, err := h.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) != 2 || rules[0].Origin != IptablesNFT || rules[1].Origin != Nft ||
		rules[0].Subnet.String() != "172.19.0.0/16" || rules[1].SourceIP.String() != "192.168.56.103" {
		t.Fatalf("Read = %+v, want the iptables-nft rule and the nft rule", rules)
	}
	if len(rules[0].Boot) != 1 || rules[0].Boot[0].String() != "/etc/iptables/rules.v4:2" {
		t.Errorf("boot copies of %s: %v, want /etc/iptables/rules.v4:2", rules[0].Text, rules[0].Boot)
	}
	for _, r := range rules {
		if left, err := h.Remove(ctx, r); err != nil || len(left) != 0 {
			t.Fatalf("Remove(%s) = %v, %v", r.Text, left, err)
		}
	}
	if rules, err := h.Read(ctx); err != nil || len(rules) != 0 {
		t.Errorf("after Remove, Read = %+v, %v; want none", rules, err)
	}
	if b, _ := os.ReadFile(root + "/etc/iptables/rules.v4"); string(b) != "*nat\nCOMMIT\n" {
		t.Errorf("rules.v4 after Remove = %q", b)
	}
	if st, _ := os.Stat(root + "/etc/iptables/rules.v4"); st.Mode().Perm() != 0o640 {
		t.Errorf("rules.v4 mode %v, want 0640 kept", st.Mode().Perm())
	}
}

// TestPresent writes, one after another in a throwaway network namespace,
// the rules Docker writes (MASQUERADE, DNAT, a user chain), push's own
// table, the seed's iptables-nft SNAT rule, and a SNAT rule in nft's own
// syntax in a chain a nat chain jumps to; Present says yes only for the
// last two, and for a loaded legacy nat table.
func TestPresent(t *testing.T) {
	needs.Command(t, "iptables-nft", "nft")
	ns, _ := nstest.New(t)
	h := Host{Root: t.TempDir(), NetNS: int(ns)}
	run := func(cmd string) {
		t.Helper()
		args := strings.Fields(cmd)
		err := nstest.Do(ns, func() error {
			out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
			if err != nil {
				return fmt.Errorf("%s: %w: %s", cmd, err, out)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, step := range []struct {
		cmds []string
		want bool
	}{
		{nil, false},
		{[]string{
			"iptables-nft -t nat -N DOCKER",
			"iptables-nft -t nat -A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER",
			"iptables-nft -t nat -A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE",
			"iptables-nft -t nat -A DOCKER -i docker0 -j RETURN",
			"iptables-nft -t nat -A DOCKER ! -i docker0 -p tcp --dport 8443 -j DNAT --to-destination 172.17.0.2:443",
			"iptables-nft -t filter -A FORWARD -s 172.19.0.0/16 -j ACCEPT",
			"nft add table ip push",
			"nft add chain ip push postrouting { type nat hook postrouting priority 99 ; }",
			"nft add rule ip push postrouting ip saddr 172.19.0.0/16 oifname != z_custom_a snat to 192.0.2.10",
		}, false},
		{[]string{"iptables-nft -t nat -A POSTROUTING -s 172.19.0.0/16 ! -o z_custom_a -j SNAT --to-source 192.168.4.153"}, true},
		{[]string{"iptables-nft -t nat -F POSTROUTING"}, false},
		{[]string{
			"nft add table inet handmade",
			"nft add chain inet handmade post { type nat hook postrouting priority srcnat ; }",
			"nft add chain inet handmade mine",
			"nft add rule inet handmade post jump mine",
			"nft add rule inet handmade mine ip saddr 172.20.0.0/16 snat ip to 192.168.56.103",
		}, true},
		{[]string{"nft delete table inet handmade"}, false},
	} {
		for _, c := range step.cmds {
			run(c)
		}
		if got := h.Present(); got != step.want {
			t.Fatalf("after %q: Present = %v, want %v", step.cmds, got, step.want)
		}
	}
	os.MkdirAll(h.Root+"/proc/net", 0o755)
	if err := os.WriteFile(h.Root+"/proc/net/ip_tables_names", []byte("filter\nnat\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if !h.Present() {
		t.Error("with the legacy nat table loaded: Present = false, want true")
	}
}
