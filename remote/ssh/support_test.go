package ssh

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kasmfleet/push/examples/lab/needs"
	"github.com/kasmfleet/push/examples/lab/sshfleet"
)

// testOptions keep a test away from the machine's ~/.ssh, agent and
// environment, with timeouts short enough for a test.
func testOptions(t *testing.T) Options {
	home := t.TempDir()
	env := map[string]string{"HOME": home, "USER": "tester"}
	return Options{
		SSHConfigPath:     "none",
		AgentSocket:       "none",
		DialTimeout:       5 * time.Second,
		HandshakeTimeout:  10 * time.Second,
		OpTimeout:         60 * time.Second,
		KeepAliveInterval: 5 * time.Second,
		Getenv:            func(k string) string { return env[k] },
	}
}

// rootConfig reaches fleet host i as root with the fleet's key and known_hosts.
func rootConfig(f *sshfleet.Fleet, i int) Config {
	h := f.Host(i)
	return Config{Alias: h.Name, Host: h.Addr, User: "root",
		IdentityFiles: []string{f.KeyPath()}, KnownHosts: []string{f.KnownHostsPath()}}
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func dial(t *testing.T, d *Dialer, c Config) *Conn {
	t.Helper()
	conn, err := d.Dial(testCtx(t), c)
	if err != nil {
		t.Fatalf("dial %s: %v", c.Host, err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func mustExec(t *testing.T, c *Conn, cmd string) string {
	t.Helper()
	r, err := c.Exec(testCtx(t), cmd, nil)
	if err != nil {
		t.Fatalf("exec %q: %v", cmd, err)
	}
	if r.ExitCode != 0 {
		t.Fatalf("exec %q: exit %d: %s", cmd, r.ExitCode, r.Stderr)
	}
	return string(r.Stdout)
}

func newDialer(t *testing.T, o Options) *Dialer {
	d := NewDialer(o)
	t.Cleanup(func() { d.Close() })
	return d
}

// keygen runs ssh-keygen with args.
func keygen(t *testing.T, args ...string) {
	t.Helper()
	needs.Command(t, "ssh-keygen")
	if out, err := exec.Command("ssh-keygen", args...).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// writeFile writes content to a new file in dir and returns its path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// buildHelper builds testdata/echohelper as a static linux binary of the
// machine's architecture, stamped with version (so versions differ in sha).
func buildHelper(t testing.TB, version string) Helper {
	t.Helper()
	needs.Command(t, "go")
	out := filepath.Join(t.TempDir(), "echohelper")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-X main.version="+version, "-o", out, "./testdata/echohelper")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build echohelper: %v: %s", err, b)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	goarch := strings.TrimSpace(goEnv(t, "GOARCH"))
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	zw.Write(data)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return Helper{GOARCH: goarch, SHA256: hex.EncodeToString(sum[:]), Data: data, Gzip: gz.Bytes()}
}

func goEnv(t testing.TB, key string) string {
	out, err := exec.Command("go", "env", key).Output()
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// helperSet offers one build.
func helperSet(h Helper) HelperSet {
	return HelperSet{
		SHAs: map[string]string{h.GOARCH: h.SHA256},
		Load: func(goarch string) (Helper, error) { return h, nil },
	}
}
