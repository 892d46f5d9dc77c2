package kmod

import (
	"os"
	"path/filepath"
	"testing"
)

func TestPersisted(t *testing.T) {
	for _, tc := range []struct {
		file, content string
		want          bool
	}{
		{"", "", false},
		{"/etc/modules", "# /etc/modules\nloop\n8021q\n", true},
		{"/etc/modules", "#8021q\nloop # 8021q\n", false},
		{"/etc/modules-load.d/vlan.conf", "8021q\n", true},
		{"/etc/modules-load.d/vlan.conf", "; 8021q\n", false},
	} {
		root := t.TempDir()
		if tc.file != "" {
			p := filepath.Join(root, tc.file)
			os.MkdirAll(filepath.Dir(p), 0o755)
			os.WriteFile(p, []byte(tc.content), 0o644)
		}
		if got := (Host{Root: root}).Persisted("8021q"); got != tc.want {
			t.Errorf("%s %q: Persisted = %v, want %v", tc.file, tc.content, got, tc.want)
		}
	}
}

func TestPersistLeavesEtcModulesAlone(t *testing.T) {
	root := t.TempDir()
	h := Host{Root: root}
	mods := filepath.Join(root, "/etc/modules")
	os.MkdirAll(filepath.Dir(mods), 0o755)
	os.WriteFile(mods, []byte("loop\n"), 0o644)
	if err := h.Persist("8021q"); err != nil {
		t.Fatal(err)
	}
	if !h.Persisted("8021q") {
		t.Fatal("not persisted after Persist")
	}
	if b, _ := os.ReadFile(mods); string(b) != "loop\n" {
		t.Errorf("/etc/modules changed: %q", b)
	}
	if b, _ := os.ReadFile(filepath.Join(root, PersistFile)); len(b) == 0 {
		t.Error(PersistFile + " is empty")
	}
}

func TestLoaded(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "/sys/module/8021q"), 0o755)
	h := Host{Root: root}
	if !h.Loaded("8021q") || h.Loaded("ipvlan") {
		t.Error("Loaded reads /sys/module wrongly")
	}
}
