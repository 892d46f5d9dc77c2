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
