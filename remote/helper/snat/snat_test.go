package snat

import (
	"os/exec"
	"reflect"
	"strings"
	"testing"

	"github.com/google/nftables/expr"
	"github.com/vishvananda/netns"

	"github.com/kasmfleet/push/examples/lab/nstest"
	"github.com/kasmfleet/push/remote/proto"
)

func TestBuildParseRoundTrip(t *testing.T) {
	for _, s := range []proto.SNATRule{
		{Subnet: "172.19.0.0/16", Bridge: "z_custom_a", SourceIP: "198.51.100.111"},
		{Subnet: "10.0.0.0/8", Bridge: "b", SourceIP: "192.0.2.1"},
		{Subnet: "192.0.2.128/25", Bridge: "z_custom_long15", SourceIP: "203.0.113.9"},
	} {
		e, err := build(s)
		if err != nil {
			t.Fatalf("build %+v: %v", s, err)
		}
		got, ok := parse(e)
		if !ok || got != s {
			t.Errorf("parse(build(%+v)) = %+v, %v", s, got, ok)
		}
	}
}

func TestBuildRejects(t *testing.T) {
	for _, s := range []proto.SNATRule{
		{Subnet: "2001:db8::/64", Bridge: "b", SourceIP: "192.0.2.1"},
		{Subnet: "172.19.0.0/16", Bridge: "b", SourceIP: "nope"},
		{Subnet: "172.19.0.0/16", Bridge: "0123456789abcdef", SourceIP: "192.0.2.1"},
		{Subnet: "172.19.0.0/16", Bridge: "", SourceIP: "192.0.2.1"},
	} {
		if _, err := build(s); err == nil {
			t.Errorf("build(%+v) succeeded, want an error", s)
		}
	}
}

func TestMaskBits(t *testing.T) {
	for _, tc := range []struct {
		mask []byte
		want int
	}{
		{[]byte{255, 255, 0, 0}, 16},
		{[]byte{255, 255, 255, 128}, 25},
		{[]byte{0, 0, 0, 0}, 0},
		{[]byte{255, 0, 255, 0}, -1},
	} {
		if got := maskBits(tc.mask); got != tc.want {
			t.Errorf("maskBits(%v) = %d, want %d", tc.mask, got, tc.want)
		}
	}
}

// TestReplaceInNetns replaces push's table inside a throwaway network
// namespace: twice (each rule exactly once), then with other rules (the
// old ones gone), and checks what nft itself lists.
func TestReplaceInNetns(t *testing.T) {
	ns, _ := nstest.New(t)
	r := Rules{NetNS: int(ns)}

	st, err := r.Read()
	if err != nil || st.Exists {
		t.Fatalf("fresh netns: state %+v, err %v; want no table", st, err)
	}
	want := []proto.SNATRule{
		{Subnet: "172.20.0.0/16", Bridge: "z_custom_b", SourceIP: "198.51.100.112"},
		{Subnet: "172.19.0.0/16", Bridge: "z_custom_a", SourceIP: "198.51.100.111"},
	}
	for i := 0; i < 2; i++ {
		if err := r.Replace(want); err != nil {
			t.Fatalf("replace #%d: %v", i+1, err)
		}
	}
	st, err = r.Read()
	if err != nil {
		t.Fatal(err)
	}
	if !st.Exists || !st.ChainOK || st.Foreign != 0 || !reflect.DeepEqual(st.Rules, Sorted(want)) {
		t.Fatalf("after two replaces: %+v, want exactly %+v", st, Sorted(want))
	}

	if out, err := nftList(t, ns); err == nil {
		if n := strings.Count(out, "snat to"); n != 2 {
			t.Errorf("nft lists %d snat rules, want 2:\n%s", n, out)
		}
		for _, s := range []string{"ip saddr 172.19.0.0/16", `oifname != "z_custom_a"`, "snat to 198.51.100.111", "srcnat"} {
			if !strings.Contains(out, s) {
				t.Errorf("nft output lacks %q:\n%s", s, out)
			}
		}
	}

	next := []proto.SNATRule{{Subnet: "172.21.0.0/16", Bridge: "z_custom_c", SourceIP: "198.51.100.113"}}
	if err := r.Replace(next); err != nil {
		t.Fatal(err)
	}
	if st, _ = r.Read(); !reflect.DeepEqual(st.Rules, next) {
		t.Fatalf("after replace with other rules: %+v, want %+v", st.Rules, next)
	}
	if err := r.Delete(); err != nil {
		t.Fatal(err)
	}
	if err := r.Delete(); err != nil {
		t.Fatalf("second delete: %v", err)
	}
	if st, _ = r.Read(); st.Exists {
		t.Fatalf("table still exists after delete: %+v", st)
	}
}

// nftList returns `nft list table ip push` run inside ns, when nft is
// installed (it is only a second opinion on what the kernel holds).
func nftList(t *testing.T, ns netns.NsHandle) (string, error) {
	t.Helper()
	path, err := exec.LookPath("nft")
	if err != nil {
		t.Log("nft not installed; skipping the nft cross-check")
		return "", err
	}
	var out []byte
	err = nstest.Do(ns, func() error {
		var e error
		out, e = exec.Command(path, "list", "table", "ip", Table).CombinedOutput()
		return e
	})
	if err != nil {
		t.Fatalf("nft list: %v: %s", err, out)
	}
	return string(out), nil
}

// TestParseRejectsPortRange: a rule whose NAT claims a port range (as
// an early build of push wrote, mapping every port to 0) is not push's
// rule, so the next apply rewrites the table.
func TestParseRejectsPortRange(t *testing.T) {
	e, err := build(proto.SNATRule{Subnet: "172.19.0.0/16", Bridge: "b", SourceIP: "192.0.2.1"})
	if err != nil {
		t.Fatal(err)
	}
	e[6].(*expr.NAT).Specified = true
	if _, ok := parse(e); ok {
		t.Fatal("parse accepted a NAT with a port range")
	}
}
