package handsnat

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

type found struct{ subnet, to, text string }

func summary(rules []Rule) []found {
	var out []found
	for _, r := range rules {
		out = append(out, found{r.Subnet.String(), r.SourceIP.String(), r.Text})
	}
	return out
}

func TestParseSave(t *testing.T) {
	b, err := os.ReadFile("testdata/nat.save")
	if err != nil {
		t.Fatal(err)
	}
	rules := parseSave(string(b), IptablesNFT, "iptables-nft")
	want := []found{
		{"172.19.0.0/16", "192.168.4.153", "-A POSTROUTING -s 172.19.0.0/16 ! -o z_custom_a -j SNAT --to-source 192.168.4.153"},
		{"172.20.0.0/16", "192.168.56.103", `-A POSTROUTING -s 172.20.0.0/16 ! -o z_custom_b -m comment --comment "seed: site b" -j SNAT --to-source 192.168.56.103:1024-65535`},
	}
	if got := summary(rules); !reflect.DeepEqual(got, want) {
		t.Errorf("parseSave =\n %q\nwant (MASQUERADE, negated sources, address ranges and other tables left out)\n %q", got, want)
	}
	wantDel := []string{"iptables-nft", "-t", "nat", "-D", "POSTROUTING", "-s", "172.20.0.0/16", "!", "-o", "z_custom_b",
		"-m", "comment", "--comment", "seed: site b", "-j", "SNAT", "--to-source", "192.168.56.103:1024-65535"}
	if len(rules) == 2 && !reflect.DeepEqual(rules[1].del, wantDel) {
		t.Errorf("delete command %q, want %q", rules[1].del, wantDel)
	}
}

func TestParseNftJSON(t *testing.T) {
	b, err := os.ReadFile("testdata/ruleset.json")
	if err != nil {
		t.Fatal(err)
	}
	rules, err := parseNftJSON(b)
	if err != nil {
		t.Fatal(err)
	}
	// iptables-nft's xt target is left to iptables-nft-save; push's own
	// table is push's.
	want := []found{{"172.20.0.0/16", "192.168.56.103", "table ip handmade chain post handle 4: ip saddr 172.20.0.0/16 snat to 192.168.56.103"}}
	if got := summary(rules); !reflect.DeepEqual(got, want) {
		t.Errorf("parseNftJSON = %q, want %q", got, want)
	}
	if len(rules) == 1 && !reflect.DeepEqual(rules[0].del, []string{"nft", "delete", "rule", "ip", "handmade", "post", "handle", "4"}) {
		t.Errorf("delete command %q", rules[0].del)
	}
}

func TestBootCopies(t *testing.T) {
	root := t.TempDir()
	write := func(p, s string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(root+p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(root+p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("/etc/iptables/rules.v4", "*nat\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -s 172.19.0.0/16 ! -o z_custom_a -j SNAT --to-source 192.168.4.153\nCOMMIT\n")
	write("/etc/rc.local", "#!/bin/sh\n# iptables -t nat -A POSTROUTING -s 172.19.0.0/16 -j SNAT --to-source 192.168.4.153\n"+
		"sudo iptables -t nat -A POSTROUTING -s 172.19.0.0/16 ! -o z_custom_a -j SNAT --to-source 192.168.4.153\n"+
		"sleep 5; /sbin/iptables -t nat -A POSTROUTING -s 172.20.0.0/16 -j SNAT --to-source 192.168.56.103\nexit 0\n")
	write("/etc/network/interfaces.d/eth2", "iface eth2 inet static\n    post-up iptables -t nat -A POSTROUTING -s 172.20.0.0/16 ! -o z_custom_b -j SNAT --to-source 192.168.56.103\n")
	write("/etc/nftables.conf", "table ip nat {\n  chain postrouting {\n    ip saddr 172.19.0.0/16 oifname != \"z_custom_a\" snat to 192.168.4.153\n  }\n}\n")
	var got []string
	for _, c := range (Host{Root: root}).bootCopies() {
		got = append(got, c.String()+" "+c.subnet.String()+" "+c.source.String()+" "+map[bool]string{true: "removable", false: "kept"}[c.Removable])
	}
	want := []string{
		"/etc/iptables/rules.v4:3 172.19.0.0/16 192.168.4.153 removable",
		"/etc/rc.local:3 172.19.0.0/16 192.168.4.153 removable",
		"/etc/rc.local:4 172.20.0.0/16 192.168.56.103 kept",
		"/etc/network/interfaces.d/eth2:2 172.20.0.0/16 192.168.56.103 removable",
		"/etc/nftables.conf:3 172.19.0.0/16 192.168.4.153 kept",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("boot copies =\n %q\nwant\n %q", got, want)
	}
}

func TestFirstAddr(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.1": "192.0.2.1", "192.0.2.1:1024-2048": "192.0.2.1", "192.0.2.1-192.0.2.1": "192.0.2.1",
		"192.0.2.1-192.0.2.9": "invalid IP", "2001:db8::1": "invalid IP", "x": "invalid IP",
	} {
		if got := firstAddr(in).String(); got != want {
			t.Errorf("firstAddr(%q) = %s, want %s", in, got, want)
		}
	}
}

// On the real host (no Root) a boot copy names its file as it is.
func TestHostPath(t *testing.T) {
	for _, tc := range [][3]string{
		{"", "/etc/rc.local", "/etc/rc.local"},
		{"/tmp/root", "/tmp/root/etc/iptables/rules.v4", "/etc/iptables/rules.v4"},
	} {
		if got := hostPath(tc[0], tc[1]); got != tc[2] {
			t.Errorf("hostPath(%q, %q) = %q, want %q", tc[0], tc[1], got, tc[2])
		}
	}
}
