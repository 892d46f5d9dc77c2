package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestCommands runs the CLI in-process and compares exit code and output
// with golden files in testdata/golden.
func TestCommands(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"usage", nil, exitUsage},
		{"unknown-command", []string{"frobnicate"}, exitUsage},
		{"validate-example", []string{"validate", "../../examples/ipvlan/inventory.hcl"}, exitOK},
		{"validate-two-files", []string{"validate", "../../inventory/testdata/multi/network.hcl", "../../inventory/testdata/multi/agents.hcl"}, exitOK},
		{"validate-duplicate-across-files", []string{"validate", "../../examples/ipvlan/inventory.hcl", "../../examples/enclaves/inventory.hcl"}, exitFailed},
		{"validate-seed-errors", []string{"validate", "../../inventory/testdata/invalid/seed-ipvlan-example.hcl"}, exitFailed},
		{"validate-warning-only", []string{"validate", "../../inventory/testdata/invalid/network-name-sorts-first.hcl"}, exitOK},
		{"validate-json", []string{"validate", "--json", "../../inventory/testdata/invalid/duplicate-slot.hcl"}, exitFailed},
		{"validate-missing-file", []string{"validate", "no-such.hcl"}, exitFailed},
		{"validate-no-files", []string{"validate"}, exitUsage},
		{"plan-offline-ipvlan", []string{"plan", "--offline", "../../examples/ipvlan/inventory.hcl"}, exitOK},
		{"plan-offline-snat", []string{"plan", "--offline", "../../examples/bridged-snat/inventory.hcl"}, exitOK},
		{"plan-offline-enclaves", []string{"plan", "../../examples/enclaves/inventory.hcl", "--offline"}, exitOK},
		{"plan-offline-json", []string{"plan", "--offline", "--json", "../../inventory/testdata/valid/everything.hcl"}, exitOK},
		{"plan-offline-standard-vswitch", []string{"plan", "--offline", "../../inventory/testdata/valid/standard-vswitch.hcl"}, exitOK},
		{"plan-offline-invalid", []string{"plan", "--offline", "../../inventory/testdata/invalid/vlan-id-zero.hcl"}, exitFailed},
		{"plan-offline-true", []string{"plan", "--offline=true", "../../examples/ipvlan/inventory.hcl"}, exitOK},
		{"plan-offline-with-limit", []string{"plan", "--offline", "--limit", "kasm-agent-1", "../../examples/ipvlan/inventory.hcl"}, exitUsage},
		{"plan-help", []string{"plan", "--help"}, exitOK},
		{"apply-help", []string{"apply", "--help"}, exitOK},
		{"apply-negative-pause", []string{"apply", "--pause", "-5s", "../../examples/ipvlan/inventory.hcl"}, exitUsage},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			env := map[string]string{"VSPHERE_USERNAME": "admin", "VSPHERE_PASSWORD": "golden-secret"}
			io := stdio{in: strings.NewReader(""), out: &out, err: &errb,
				getenv:    func(k string) string { return env[k] },
				lookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}
			code := run(context.Background(), tc.args, io)
			if code != tc.code {
				t.Errorf("exit code %d, want %d\nstderr:\n%s", code, tc.code, errb.String())
			}
			got := "# stdout\n" + out.String() + "# stderr\n" + errb.String()
			if strings.Contains(got, "golden-secret") {
				t.Error("the vSphere password was printed")
			}
			golden(t, filepath.Join("testdata", "golden", tc.name+".txt"), got)
		})
	}
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (go test -update rewrites it)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}
