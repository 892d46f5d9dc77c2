package inventory

import (
	"slices"
	"testing"
)

func TestWorkspaceDecoded(t *testing.T) {
	inv, diags := Load(testOptions, "testdata/valid/workspaces.hcl")
	if diags.HasErrors() {
		t.Fatal(diagsText(diags))
	}
	tests := []struct {
		name     string
		networks []string
		docker   []string
		allow    bool
	}{
		{"Chrome - Enclave 2", []string{"enclave_2"}, []string{"z_enclave_2"}, false},
		{"Firefox", []string{"enclave_2", "enclave_3"}, []string{"z_enclave_2", "z_enclave_3"}, true},
	}
	if len(inv.Workspaces) != len(tests) {
		t.Fatalf("%d workspaces, want %d", len(inv.Workspaces), len(tests))
	}
	for _, tc := range tests {
		w := inv.Workspace(tc.name)
		if w == nil {
			t.Fatalf("no workspace %q", tc.name)
		}
		if !slices.Equal(w.Networks, tc.networks) || !slices.Equal(w.DockerNetworks, tc.docker) || w.AllowNetworkSelection != tc.allow {
			t.Errorf("workspace %q = networks %q docker %q allow %t; want %q %q %t",
				tc.name, w.Networks, w.DockerNetworks, w.AllowNetworkSelection, tc.networks, tc.docker, tc.allow)
		}
	}
}
