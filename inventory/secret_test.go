package inventory

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func TestSecretNeverPrinted(t *testing.T) {
	src := `vsphere "vc" {
  url      = "https://vcenter.example.com/sdk"
  username = env("VSPHERE_USERNAME")
  password = env("VSPHERE_PASSWORD")
}
`
	inv, diags := Parse(testOptions, "s.hcl", []byte(src))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	vc := inv.VSphere("vc")
	if vc.Password.Reveal() != "s3cret" {
		t.Fatalf("password = %q", vc.Password.Reveal())
	}
	js, _ := json.Marshal(vc)
	for _, out := range []string{fmt.Sprint(vc), fmt.Sprintf("%+v", *vc), fmt.Sprintf("%#v", vc.Password), string(js)} {
		if strings.Contains(out, "s3cret") {
			t.Errorf("secret printed: %s", out)
		}
	}
}

func TestSeveralFiles(t *testing.T) {
	inv, diags := Load(testOptions, "testdata/multi/network.hcl", "testdata/multi/agents.hcl")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if len(inv.Agents) != 2 || len(inv.Agents[1].Networks.VLANs) != 1 {
		t.Fatalf("agents not merged across files: %+v", inv.Agents)
	}
	_, diags = Load(testOptions, "testdata/multi/network.hcl", "testdata/multi/network.hcl")
	if !diags.HasErrors() || diags[0].Summary != "Duplicate trunk block" {
		t.Fatalf("a block defined in two files was not reported: %v", diags)
	}
}
