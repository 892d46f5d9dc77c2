package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vmware/govmomi/simulator"

	"github.com/kasmfleet/push/examples/lab/needs"
	"github.com/kasmfleet/push/examples/lab/sshfleet"
	"github.com/kasmfleet/push/inventory"
	"github.com/kasmfleet/push/remote/helperbin"
	"github.com/kasmfleet/push/remote/proto"
	"github.com/kasmfleet/push/remote/vsphere"
)

// TestImportPortGroupFromVCSim runs push import --portgroup end to end:
// two real hosts (sshd in network namespaces, the embedded helper; they
// have no Docker) and an in-process vcsim with the trunk port group. The
// login comes from GOVC_*; the file names vCenter without credentials and
// reads them from env(); the agent named like a VM gets it; the hosts'
// missing Docker is a comment and exit 1; the file is valid.
func TestImportPortGroupFromVCSim(t *testing.T) {
	needs.NotShort(t)
	if len(helperbin.Arches()) == 0 {
		needs.Skip(t, "no embedded helper: run `make helpers` first")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const user, password = "import@vsphere.local", "s3cret-Import-pa55"
	model := simulator.VPX()
	if err := model.Create(); err != nil {
		t.Fatal(err)
	}
	model.Service.Listen = &url.URL{User: url.UserPassword(user, password)}
	model.Service.TLS = new(tls.Config)
	server := model.Service.NewServer()
	t.Cleanup(func() { server.Close(); model.Remove() })
	ca, err := server.CertificateFile()
	if err != nil {
		t.Fatal(err)
	}
	u := *server.URL
	u.User = nil
	vc, err := vsphere.Connect(ctx, vsphere.Config{URL: u.String(), Username: user, Password: password, CAFile: ca})
	if err != nil {
		t.Fatal(err)
	}
	// The trunk as an admin made it, with DC0_H0_VM0's NIC on it.
	_, err = vc.Apply(ctx, proto.VSphereSpec{Server: "vc", Datacenter: "DC0", Trunk: "kasm", Switch: "DVS0", PortGroup: "kasm-trunk",
		VLANs: []proto.Range{{Start: 150, End: 150}, {Start: 160, End: 169}}, VMs: []proto.TrunkVM{{Agent: "a", VM: "DC0_H0_VM0"}}}, func(vsphere.Event) {})
	vc.Close(ctx)
	if err != nil {
		t.Fatalf("make the port group: %v", err)
	}

	f := sshfleet.StartT(t, 2, sshfleet.Options{})
	dir := t.TempDir()
	minimal := filepath.Join(dir, "agents.hcl")
	src := fmt.Sprintf("defaults {\n  user          = \"root\"\n  known_hosts   = %q\n  identity_file = %q\n}\n", f.KnownHostsPath(), f.KeyPath())
	for i, name := range []string{"DC0_H0_VM0", "kasm-agent-7"} {
		h := f.Host(i)
		src += fmt.Sprintf("agent %q {\n  address = %q\n  port    = %d\n}\n", name, h.Addr, h.Port)
	}
	if err := os.WriteFile(minimal, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "fleet.hcl")
	env := map[string]string{"HOME": t.TempDir(), "GOVC_USERNAME": user, "GOVC_PASSWORD": password, "GOVC_TLS_CA_CERTS": ca}
	code, _, stderr := runImportEnv(t, env, "--out", out, "--ssh-config", "none",
		"--portgroup", "kasm-trunk", "--switch", "DVS0", "--vsphere", u.String(), "--datacenter", "DC0", minimal)
	written, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("no inventory written (exit %d): %v\n%s", code, err, stderr)
	}
	t.Logf("written:\n%s", written)
	if code != exitFailed || !strings.Contains(stderr, "Docker did not answer") || strings.Contains(stderr, "vsphere:") {
		t.Errorf("exit %d, stderr:\n%s\nwant 1 for the hosts' missing Docker, and no vSphere error", code, stderr)
	}
	for _, want := range []string{
		`url        = "` + u.String() + `"`, `env("VSPHERE_USERNAME", "")`, `env("VSPHERE_PASSWORD", "")`, `datacenter = "DC0"`,
		"agent \"DC0_H0_VM0\" {\n  address = \"" + f.Host(0).Addr + "\"\n  port    = " + fmt.Sprint(f.Host(0).Port) + "\n  vm      = \"DC0_H0_VM0\"",
		"# push import: Docker did not answer",
	} {
		if !strings.Contains(string(written), want) {
			t.Errorf("written inventory lacks %q", want)
		}
	}
	if strings.Contains(string(written), password) || strings.Contains(string(written), user) {
		t.Error("the written inventory holds the vSphere login")
	}
	if strings.Count(string(written), "vm      =") != 1 {
		t.Error("kasm-agent-7, named like no VM, was given one")
	}
	_, diags := inventory.Load(inventory.Options{LookupEnv: func(k string) (string, bool) { v, ok := env["GOVC_"+strings.TrimPrefix(k, "VSPHERE_")]; return v, ok }}, out)
	if diags.HasErrors() {
		t.Errorf("push validate refuses the written inventory: %s", diags.Error())
	}
}
