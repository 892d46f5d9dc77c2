package workspacelab

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"text/template"
	"time"

	"github.com/kasmfleet/push/examples/lab/kasmdouble"
	"github.com/kasmfleet/push/examples/lab/labenv"
)

// TestWorkspaceRestrictedToEnclave starts from reset agents (and, as the
// other lab tests, leaves them for the next test to reset): apply creates
// z_enclave_2 on agents 1 and 2 and restricts the workspace to it in the
// double, every other field of the workspace as it was; check is green
// (exit 0); with both agents disabled in the double, check exits 2 and
// names the network in every report format.
func TestWorkspaceRestrictedToEnclave(t *testing.T) {
	lab := labenv.Require(t)
	start := time.Now()
	defer func() { t.Logf("with the lab held: %s", time.Since(start).Round(time.Second)) }()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	agents := []string{"kasm-agent-1", "kasm-agent-2"}
	for _, a := range agents {
		if err := lab.Reset(ctx, a); err != nil {
			t.Fatalf("reset %s: %v", a, err)
		}
	}

	d := kasmdouble.Start()
	defer d.Close()
	for _, a := range lab.Agents() {
		d.AddAgent(a.Name)
	}
	chrome := d.AddImage("Chrome - Enclave 2", "kasmweb/chrome:1.16.0")
	firefox := d.AddImage("Firefox", "kasmweb/firefox:1.16.0")
	before := d.Image(chrome)
	inv := writeInventory(t, lab, d, agents)

	r := push(t, ctx, "apply", inv)
	if r.code != 0 {
		t.Fatalf("apply: exit %d, want 0", r.code)
	}
	if !strings.Contains(r.out, `workspace "Chrome - Enclave 2": 1 change, read back`) {
		t.Errorf("apply does not report the workspace's change:\n%s", r.out)
	}
	after := d.Image(chrome)
	if after["restrict_to_network"] != true || after["allow_network_selection"] != false ||
		!reflect.DeepEqual(after["restrict_network_names"], []any{"z_enclave_2"}) {
		t.Fatalf("the double's workspace: restrict_to_network %v, restrict_network_names %v, allow_network_selection %v",
			after["restrict_to_network"], after["restrict_network_names"], after["allow_network_selection"])
	}
	for k, v := range before {
		if !slices.Contains([]string{"restrict_to_network", "restrict_network_names", "allow_network_selection"}, k) && !reflect.DeepEqual(after[k], v) {
			t.Errorf("field %s of the workspace changed: %v → %v", k, v, after[k])
		}
	}
	if len(after) != len(before) {
		t.Errorf("the workspace has %d fields after apply, %d before", len(after), len(before))
	}
	if d.Image(firefox)["restrict_to_network"] != false {
		t.Error("apply restricted a workspace the inventory does not name")
	}
	for _, a := range agents {
		out, err := lab.Run(ctx, a, "docker network inspect -f '{{.Name}}' z_enclave_2")
		if err != nil || strings.TrimSpace(out) != "z_enclave_2" {
			t.Fatalf("%s has no z_enclave_2 after apply: %v %s", a, err, out)
		}
	}

	if r := push(t, ctx, "check", inv); r.code != 0 {
		t.Fatalf("check after apply: exit %d, want 0 (in sync)", r.code)
	}

	for _, a := range agents {
		d.SetEnabled(a, false)
	}
	dir := t.TempDir()
	junit, html := filepath.Join(dir, "check.xml"), filepath.Join(dir, "check.html")
	r = push(t, ctx, "check", "--json", "--junit", junit, "--html", html, inv)
	if r.code != 2 {
		t.Fatalf("check with the enclave's agents disabled: exit %d, want 2", r.code)
	}
	var rep struct {
		Targets []struct {
			Name, Kind, Status string
			Drifts             []struct{ Component, Object, Actual string }
		}
	}
	if err := json.Unmarshal([]byte(r.out), &rep); err != nil {
		t.Fatalf("check --json: %v", err)
	}
	found := false
	for _, tg := range rep.Targets {
		if tg.Kind != "workspace" {
			continue
		}
		found = tg.Name == "Chrome - Enclave 2" && tg.Status == "drift" && len(tg.Drifts) == 1 &&
			tg.Drifts[0].Component == "enabled agents" && tg.Drifts[0].Object == "network z_enclave_2" &&
			strings.Contains(tg.Drifts[0].Actual, "kasm-agent-1: disabled in Kasm; kasm-agent-2: disabled in Kasm")
	}
	if !found {
		t.Errorf("check --json does not report the workspace's network on no enabled agent:\n%s", r.out)
	}
	for _, f := range []string{junit, html} {
		b, err := os.ReadFile(f)
		if err != nil || !strings.Contains(string(b), "z_enclave_2") || !strings.Contains(string(b), "enabled agents") {
			t.Errorf("%s does not report it: %v\n%s", f, err, b)
		}
	}
	r = push(t, ctx, "check", inv)
	if r.code != 2 || !strings.Contains(r.out, "on no enabled agent: kasm-agent-1: disabled in Kasm; kasm-agent-2: disabled in Kasm") {
		t.Errorf("check (text): exit %d, want 2 and the network on no enabled agent", r.code)
	}
}

func writeInventory(t *testing.T, lab *labenv.Lab, d *kasmdouble.Double, names []string) string {
	t.Helper()
	dir := t.TempDir()
	ca := filepath.Join(dir, "kasm-ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: d.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	type agent struct{ Name, Port string }
	data := struct {
		KnownHosts, Key, KasmURL, CAFile         string
		Username, Password, APIKey, APIKeySecret string
		Agents                                   []agent
	}{KnownHosts: lab.KnownHostsPath(), Key: lab.KeyPath(), KasmURL: d.URL, CAFile: ca,
		Username: kasmdouble.Username, Password: kasmdouble.Password, APIKey: kasmdouble.APIKey, APIKeySecret: kasmdouble.APIKeySecret}
	for _, a := range lab.Agents() {
		if slices.Contains(names, a.Name) {
			_, port, _ := strings.Cut(a.SSHAddr, ":")
			data.Agents = append(data.Agents, agent{a.Name, port})
		}
	}
	path := filepath.Join(dir, "inventory.hcl")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tmpl, err := template.ParseFiles("testdata/inventory.hcl.tmpl")
	if err != nil {
		t.Fatal(err)
	}
	if err := tmpl.Execute(f, data); err != nil {
		t.Fatal(err)
	}
	return path
}

type pushRun struct {
	code     int
	out, err string
}

// push runs the push binary (make build, as users get it) and logs what
// it said.
func push(t *testing.T, ctx context.Context, args ...string) pushRun {
	t.Helper()
	cmd := exec.CommandContext(ctx, labenv.PushBinary(t), args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.Env = append(os.Environ(), "NO_COLOR=1", "XDG_STATE_HOME="+t.TempDir())
	start := time.Now()
	err := cmd.Run()
	r := pushRun{out: out.String(), err: errb.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("push %s: %v", strings.Join(args, " "), err)
	}
	t.Logf("push %s → exit %d in %s\n%s\n%s", strings.Join(args, " "), r.code, time.Since(start).Round(100*time.Millisecond), r.out, r.err)
	return r
}
