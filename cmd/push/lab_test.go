package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kasmfleet/push/examples/lab/labenv"
	"github.com/kasmfleet/push/examples/lab/needs"
)

// These tests run push itself, in-process, against the lab: real OpenSSH,
// Docker, kernels and vcsim. They run in order on one lab.

type labRun struct {
	code     int
	out, err string
}

// pushLab runs push with args; interrupt, when not nil, delivers Ctrl-C,
// and onLine, when not nil, sees every line push writes to stderr as it
// writes it.
func pushLab(t *testing.T, interrupt chan os.Signal, onLine func(string), args ...string) labRun {
	t.Helper()
	var out bytes.Buffer
	errb := &lineWriter{onLine: onLine}
	if interrupt == nil {
		interrupt = make(chan os.Signal)
	}
	io := stdio{in: strings.NewReader(""), out: &out, err: errb, getenv: os.Getenv, lookupEnv: os.LookupEnv,
		interrupt: interrupt}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	code := run(ctx, args, io)
	r := labRun{code, out.String(), errb.String()}
	t.Logf("push %s → %d\n%s\n%s", strings.Join(args, " "), code, r.out, r.err)
	return r
}

// lineWriter keeps what push writes to stderr, from any goroutine, and
// hands each whole line to onLine.
type lineWriter struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	part   string
	onLine func(string)
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if w.onLine == nil {
		return len(p), nil
	}
	w.part += string(p)
	for {
		line, rest, ok := strings.Cut(w.part, "\n")
		if !ok {
			return len(p), nil
		}
		w.onLine(line)
		w.part = rest
	}
}

func (w *lineWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

func resetLab(t *testing.T, lab *labenv.Lab) {
	t.Helper()
	if err := lab.ResetAll(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestLabApply(t *testing.T) {
	needs.NotShort(t)
	lab := labenv.Require(t)
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	resetLab(t, lab)
	inv := lab.InventoryPath()
	ctx := context.Background()

	// From nothing: every host converges and verifies.
	r := pushLab(t, nil, nil, "apply", inv)
	if r.code != exitOK || !strings.Contains(r.out, "3 done, 0 failed") {
		t.Fatalf("first apply: exit %d", r.code)
	}
	// Again: nothing changes anywhere.
	r = pushLab(t, nil, nil, "apply", inv)
	if r.code != exitOK || !strings.Contains(r.out, "3 hosts already converged, nothing changed") || !strings.Contains(r.out, "vSphere in sync") {
		t.Fatalf("second apply changed something: exit %d", r.code)
	}
	if r := pushLab(t, nil, nil, "check", inv); r.code != exitOK {
		t.Fatalf("check after apply: exit %d, want 0 (in sync)", r.code)
	}

	// A manual change shows in plan and check, on that host only.
	if out, err := lab.Run(ctx, "kasm-agent-2", "docker network rm z_enclave_2"); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	r = pushLab(t, nil, nil, "plan", inv)
	if r.code != exitChanges || !strings.Contains(r.out, "kasm-agent-2: 1 changes pending") ||
		!strings.Contains(r.out, "z_enclave_2") || strings.Contains(r.out, "kasm-agent-1:") {
		t.Fatalf("plan after docker network rm: exit %d", r.code)
	}
	html := filepath.Join(t.TempDir(), "drift.html")
	r = pushLab(t, nil, nil, "check", "--html", html, inv)
	if r.code != exitChanges || !strings.Contains(r.out, "z_enclave_2") {
		t.Fatalf("check after docker network rm: exit %d, want 2", r.code)
	}
	if b, err := os.ReadFile(html); err != nil || !bytes.Contains(b, []byte("z_enclave_2")) {
		t.Errorf("HTML report lacks the drift: %v", err)
	}
	if r := pushLab(t, nil, nil, "apply", inv); r.code != exitOK {
		t.Fatalf("repairing apply: exit %d", r.code)
	}
	if r := pushLab(t, nil, nil, "check", inv); r.code != exitOK {
		t.Fatalf("check after repair: exit %d", r.code)
	}
}

// TestLabHostKeyMismatch: a changed host key is refused and the fix named.
func TestLabHostKeyMismatch(t *testing.T) {
	needs.NotShort(t)
	lab := labenv.Require(t)
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	dir := t.TempDir()
	kh, err := os.ReadFile(lab.KnownHostsPath())
	if err != nil {
		t.Fatal(err)
	}
	// Give kasm-agent-1's entry the gateway's key.
	var lines []string
	gwKey := ""
	for _, l := range strings.Split(string(kh), "\n") {
		if strings.HasPrefix(l, "[127.0.0.1]:2200 ") {
			gwKey = strings.SplitN(l, " ", 2)[1]
		}
	}
	for _, l := range strings.Split(string(kh), "\n") {
		if strings.HasPrefix(l, "[127.0.0.1]:2201 ") && gwKey != "" {
			l = "[127.0.0.1]:2201 " + gwKey
		}
		lines = append(lines, l)
	}
	if gwKey == "" {
		t.Fatal("no gateway key in the lab's known_hosts")
	}
	badKH := filepath.Join(dir, "known_hosts")
	os.WriteFile(badKH, []byte(strings.Join(lines, "\n")), 0o600)
	inv := labInventoryCopy(t, lab, dir, map[string]string{`known_hosts   = "state/known_hosts"`: `known_hosts   = "` + badKH + `"`})

	r := pushLab(t, nil, nil, "plan", "--limit", "kasm-agent-1,kasm-agent-2", inv)
	if r.code != exitFailed || !strings.Contains(r.out+r.err, "ssh-keygen -R") {
		t.Fatalf("plan with a changed host key: exit %d, want 1 and the fix", r.code)
	}
	if !strings.Contains(r.out, "1 done, 1 failed") {
		t.Errorf("the other host was not planned")
	}
}

// TestLabStoppedVMAndInterrupt: a stopped VM fails while the rest go on;
// an interrupt finishes the host in flight and starts no other.
func TestLabStoppedVMAndInterrupt(t *testing.T) {
	needs.NotShort(t)
	lab := labenv.Require(t)
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	ctx := context.Background()
	inv := lab.InventoryPath()
	if err := lab.Stop(ctx, "kasm-agent-3"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := lab.Start(context.Background(), "kasm-agent-3"); err != nil {
			t.Errorf("restart kasm-agent-3: %v", err)
		}
	})
	r := pushLab(t, nil, nil, "apply", "--batch", "100%", "--max-failures", "1", "--timeout", "60s", inv)
	if r.code != exitFailed || !strings.Contains(r.out, "2 done, 1 failed") || !strings.Contains(r.out, "kasm-agent-3: FAILED") {
		t.Fatalf("apply with a stopped VM: exit %d", r.code)
	}
	// Unreachable is unknown, never in sync: exit 1, or 0 when allowed.
	doc := checkJSON(t, inv, exitFailed)
	for _, tg := range doc.Targets {
		want := "in-sync"
		if tg.Name == "kasm-agent-3" {
			want = "unknown"
			if !strings.Contains(tg.Error, "127.0.0.1:2203") {
				t.Errorf("kasm-agent-3: error %q does not say where push tried", tg.Error)
			}
		}
		if tg.Status != want {
			t.Errorf("check with a stopped VM: %s is %s, want %s", tg.Name, tg.Status, want)
		}
	}
	if doc.Status != "unknown" {
		t.Errorf("fleet status %s, want unknown", doc.Status)
	}
	if r := pushLab(t, nil, nil, "check", "--allow-unreachable", inv); r.code != exitOK || !strings.Contains(r.out, "1 unknown") {
		t.Errorf("check --allow-unreachable with a stopped VM: exit %d, want 0 and the unknown host counted", r.code)
	}

	// Interrupt once the first host runs its helper, not before.
	interrupt := make(chan os.Signal, 1)
	onLine := func(line string) {
		if line == "kasm-agent-1: apply" {
			interrupt <- os.Interrupt
		}
	}
	r = pushLab(t, interrupt, onLine, "apply", "--limit", "kasm-agent-1,kasm-agent-2", "--batch", "1", inv)
	if !strings.Contains(r.out, "1 done, 0 failed, 0 aborted, 1 not started") || !strings.Contains(r.err, "interrupted") {
		t.Fatalf("interrupted apply: exit %d", r.code)
	}
}

// labInventoryCopy writes the lab inventory into dir with its relative
// state paths made absolute and the given replacements made.
func labInventoryCopy(t *testing.T, lab *labenv.Lab, dir string, repl map[string]string) string {
	t.Helper()
	src, err := os.ReadFile(lab.InventoryPath())
	if err != nil {
		t.Fatal(err)
	}
	s := string(src)
	for from, to := range repl {
		if !strings.Contains(s, from) {
			t.Fatalf("lab inventory has no %q", from)
		}
		s = strings.ReplaceAll(s, from, to)
	}
	s = strings.ReplaceAll(s, `"state/`, `"`+lab.StateDir()+`/`)
	p := filepath.Join(dir, "inventory.hcl")
	if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
