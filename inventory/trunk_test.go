package inventory

import (
	"slices"
	"testing"
)

func TestTrunkSwitchType(t *testing.T) {
	tests := []struct {
		file       string
		switchType string
		hosts      []string
	}{
		{"testdata/valid/standard-vswitch.hcl", SwitchStandard, []string{"esxi-1.example.com", "esxi-2.example.com"}},
		{"testdata/valid/everything.hcl", SwitchDistributed, nil}, // the default with a vsphere
		{"testdata/valid/base.hcl", "", nil},                      // no vsphere: no switch at all
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			inv, diags := Load(testOptions, tc.file)
			if diags.HasErrors() {
				t.Fatal(diagsText(diags))
			}
			tr := inv.Trunks[0]
			if tr.SwitchType != tc.switchType || !slices.Equal(tr.Hosts, tc.hosts) {
				t.Errorf("switch type %q hosts %q, want %q %q", tr.SwitchType, tr.Hosts, tc.switchType, tc.hosts)
			}
		})
	}
}
