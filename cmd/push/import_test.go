package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/kasmfleet/push/inventory"
)

func runImportCLI(t *testing.T, home string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return runImportEnv(t, map[string]string{"HOME": home}, args...)
}

func runImportEnv(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	io := stdio{in: strings.NewReader(""), out: &out, err: &errb,
		getenv:    func(k string) string { return env[k] },
		lookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}
	code = run(context.Background(), append([]string{"import"}, args...), io)
	return code, out.String(), errb.String()
}

// closedPort is a loopback port nothing listens on.
func closedPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

// TestImportUnreachable: hosts that cannot be read are comments in the
// file and exit code 1; the file is still written and valid.
func TestImportUnreachable(t *testing.T) {
	home := t.TempDir()
	port := closedPort(t)
	cfg := "Host kasm-a1 kasm-a2 other\n  HostName 127.0.0.1\n  Port " + strconv.Itoa(port) + "\n  User root\nHost kasm-*\n  User admin\n"
	if err := os.MkdirAll(filepath.Join(home, ".ssh"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, ".ssh", "config"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "fleet.hcl")
	code, _, stderr := runImportCLI(t, home, "--out", out, "kasm-*")
	if code != exitFailed {
		t.Fatalf("exit code %d, want %d; stderr:\n%s", code, exitFailed, stderr)
	}
	src, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"# push import: kasm-a1 (127.0.0.1) was not read:", "# push import: kasm-a2 (127.0.0.1) was not read:", "from 0 of 2 agents"} {
		if !strings.Contains(string(src), want) {
			t.Errorf("written inventory lacks %q:\n%s", want, src)
		}
	}
	if strings.Contains(string(src), "other") || !strings.Contains(stderr, "read 0 of 2 hosts") {
		t.Errorf("the glob kasm-* chose other hosts; file:\n%s\nstderr:\n%s", src, stderr)
	}
	if _, diags := inventory.Load(inventory.Options{}, out); diags.HasErrors() {
		t.Errorf("written inventory is invalid: %s", diags.Error())
	}
}

// TestImportKeepsFile: an existing output file is not overwritten without
// --force, and nothing is read.
func TestImportKeepsFile(t *testing.T) {
	out := filepath.Join(t.TempDir(), "fleet.hcl")
	if err := os.WriteFile(out, []byte("# mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runImportCLI(t, t.TempDir(), "--out", out, "127.0.0.1")
	if code != exitFailed || !strings.Contains(stderr, "--force") {
		t.Errorf("exit code %d, stderr %q; want 1 and a hint at --force", code, stderr)
	}
	if b, _ := os.ReadFile(out); string(b) != "# mine\n" {
		t.Errorf("the existing file was changed: %q", b)
	}
}

// TestImportGlobMatchesNothing is a usage error, before any host is read.
func TestImportGlobMatchesNothing(t *testing.T) {
	code, _, stderr := runImportCLI(t, t.TempDir(), "--ssh-config", "none", "kasm-*")
	if code != exitUsage || !strings.Contains(stderr, `no Host in ssh_config matches "kasm-*"`) {
		t.Errorf("exit code %d, stderr %q", code, stderr)
	}
}

// TestImportForce: --force replaces an existing output file; the hosts an
// ssh_config Host name (not a glob) stands for are read at its HostName.
func TestImportForce(t *testing.T) {
	home := t.TempDir()
	cfg := "Host web1\n  HostName 127.0.0.1\n  Port " + strconv.Itoa(closedPort(t)) + "\n"
	if err := os.MkdirAll(filepath.Join(home, ".ssh"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, ".ssh", "config"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "fleet.hcl")
	if err := os.WriteFile(out, []byte("# mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runImportCLI(t, home, "--force", "--out", out, "web1")
	src, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if code != exitFailed || !strings.Contains(string(src), "# push import: web1 (127.0.0.1) was not read:") || strings.Contains(string(src), "# mine") {
		t.Errorf("exit %d (want 1), stderr %q, file:\n%s", code, stderr, src)
	}
}
