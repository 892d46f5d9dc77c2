package importinv

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/hashicorp/hcl/v2/hclwrite"

	"github.com/kasmfleet/push/inventory"
)

var update = flag.Bool("update", false, "rewrite the golden inventories")

// TestGolden writes the inventory of each recorded fleet, compares it with
// its golden file and loads it as push validate does: it must hold no error.
func TestGolden(t *testing.T) {
	dirs, err := filepath.Glob("testdata/*/fleet.json")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no fleets in testdata: %v", err)
	}
	for _, path := range dirs {
		dir := filepath.Dir(path)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			got := Write(readFleet(t, path))
			golden := filepath.Join(dir, "inventory.hcl")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("inventory differs from %s (go test -update rewrites it):\n%s", golden, got)
			}
			if f := hclwrite.Format(got); !bytes.Equal(f, got) {
				t.Errorf("not formatted as hclwrite formats it:\n%s", f)
			}
			assertValid(t, got)
		})
	}
}

func readFleet(t *testing.T, path string) Fleet {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f Fleet
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return f
}

// assertValid loads src as push validate does, with the vSphere secrets set.
func assertValid(t *testing.T, src []byte) {
	t.Helper()
	env := map[string]string{"VSPHERE_USERNAME": "u", "VSPHERE_PASSWORD": "p"}
	_, diags := inventory.Load(inventory.Options{
		LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		ReadFile:  func(string) ([]byte, error) { return src, nil },
	}, "/import/inventory.hcl")
	if diags.HasErrors() {
		t.Errorf("push validate refuses the written inventory: %s", diags.Error())
	}
}
