package state

import "testing"

func TestAdopted(t *testing.T) {
	h := Host{Root: t.TempDir()}
	if a, err := h.LoadAdopted(); err != nil || len(a) != 0 {
		t.Fatalf("LoadAdopted on a fresh host = %v, %v; want empty", a, err)
	}
	if err := h.Adopt("z_custom_a", "id1"); err != nil {
		t.Fatal(err)
	}
	if err := h.Adopt("z_vlan150", "id2"); err != nil {
		t.Fatal(err)
	}
	a, err := h.LoadAdopted()
	if err != nil {
		t.Fatal(err)
	}
	if !a.Owns("z_custom_a", "id1") || !a.Owns("z_vlan150", "id2") {
		t.Errorf("record %v lacks an adoption", a)
	}
	// Made again by hand under the same name: another ID, not push's.
	if a.Owns("z_custom_a", "id3") || a.Owns("z_other", "") {
		t.Errorf("record %v owns a network it did not adopt", a)
	}
	if err := h.Forget("z_custom_a"); err != nil {
		t.Fatal(err)
	}
	if a, _ := h.LoadAdopted(); a.Owns("z_custom_a", "id1") || !a.Owns("z_vlan150", "id2") {
		t.Errorf("after Forget: %v", a)
	}
}
