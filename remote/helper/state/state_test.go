package state

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kasmfleet/push/remote/proto"
)

func TestAppliedRoundTrip(t *testing.T) {
	h := Host{Root: t.TempDir()}
	if s, err := h.LoadApplied(); s != nil || err != nil {
		t.Fatalf("LoadApplied on a fresh host = %v, %v", s, err)
	}
	spec := proto.HostSpec{Agent: "a1", Trunk: &proto.Trunk{NIC: "eth1"}}
	if h.AppliedIs(spec) {
		t.Fatal("AppliedIs before saving")
	}
	if err := h.SaveApplied(spec); err != nil {
		t.Fatal(err)
	}
	got, err := h.LoadApplied()
	if err != nil || got == nil || !Equal(*got, spec) || !h.AppliedIs(spec) {
		t.Fatalf("LoadApplied = %+v, %v; want %+v", got, err, spec)
	}
	fi, _ := os.Stat(filepath.Join(h.Root, Dir))
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("state dir mode %v, want 0700", fi.Mode().Perm())
	}
	left, _ := filepath.Glob(filepath.Join(h.Root, Dir, ".*tmp*"))
	if len(left) != 0 {
		t.Errorf("temp files left: %v", left)
	}
}

func TestInstallBinaryAndUnit(t *testing.T) {
	h := Host{Root: t.TempDir()}
	self := filepath.Join(t.TempDir(), "helper")
	os.WriteFile(self, []byte("binary"), 0o755)
	sha := strings.Repeat("ab", 32)
	if h.LinkCurrent(sha) || h.UnitInstalled() {
		t.Fatal("installed before installing")
	}
	for i := 0; i < 2; i++ {
		if err := h.InstallBinary(self, sha); err != nil {
			t.Fatal(err)
		}
		if replaced, err := h.InstallUnit(); err != nil || replaced {
			t.Fatalf("install %d: replaced %v, %v; want a new unit (no reload), then the same one", i, replaced, err)
		}
	}
	// Another version of the unit is replaced, and then systemd must
	// reload it.
	os.WriteFile(filepath.Join(h.Root, UnitFile), []byte("[Unit]\nDescription=an older push\n"), 0o644)
	if replaced, err := h.InstallUnit(); err != nil || !replaced {
		t.Fatalf("install over an older unit: replaced %v, %v; want replaced", replaced, err)
	}
	if !h.LinkCurrent(sha) || !h.UnitInstalled() {
		t.Fatal("not installed after installing")
	}
	if h.LinkCurrent(strings.Repeat("cd", 32)) {
		t.Error("link counts as current for another sha")
	}
	unit, _ := os.ReadFile(filepath.Join(h.Root, UnitFile))
	for _, want := range []string{"After=docker.service network-online.target", "Wants=docker.service", "ExecStart=/var/lib/push/push-helper restore", "WantedBy=multi-user.target"} {
		if !strings.Contains(string(unit), want) {
			t.Errorf("unit lacks %q", want)
		}
	}
}

func TestShaFromPath(t *testing.T) {
	sha := strings.Repeat("0f", 32)
	for p, ok := range map[string]bool{
		"/var/lib/push/bin/push-helper-" + sha:       true,
		"/var/lib/push/bin/push-helper-" + sha[:63]:  false,
		"/tmp/push-helper":                           false,
		"/x/push-helper-" + strings.ToUpper(sha):     false,
		"/x/push-helper-" + strings.Repeat("zz", 32): false,
	} {
		if _, got := ShaFromPath(p); got != ok {
			t.Errorf("ShaFromPath(%q) ok = %v, want %v", p, got, ok)
		}
	}
}
