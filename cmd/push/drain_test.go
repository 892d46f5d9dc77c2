package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kasmfleet/push/playbooks"
)

// The hooks run with the host's name and address in the environment, and
// their exit status fails the drain.
func TestHooks(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	k := hooks{before: `echo "before $PUSH_HOST $PUSH_ADDRESS" >> ` + out, after: `echo nope; exit 3`}
	h := playbooks.Host{Name: "kasm-agent-1", Conn: playbooks.Connection{Address: "192.0.2.11"}}
	if err := k.Drain(context.Background(), h); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(out); string(b) != "before kasm-agent-1 192.0.2.11\n" {
		t.Fatalf("before saw %q", b)
	}
	err := k.Undrain(context.Background(), h)
	if err == nil || !strings.Contains(err.Error(), "after command: exit status 3: nope") {
		t.Fatalf("after: %v; want its exit status and output", err)
	}
}

// The ledger remembers a drained host across runs (a file survives the
// process) and forgets it once undrained; names with a slash stay one file.
func TestLedger(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "drained")
	l := ledger(dir)
	if l.Drained("a/1") {
		t.Fatal("an empty ledger remembers a host")
	}
	if err := l.Mark("a/1", true); err != nil {
		t.Fatal(err)
	}
	if !ledger(dir).Drained("a/1") || ledger(dir).Drained("a") {
		t.Fatal("a/1 must be remembered, and only it")
	}
	if err := l.Mark("a/1", false); err != nil || l.Drained("a/1") {
		t.Fatalf("forget: %v, still drained %t", err, l.Drained("a/1"))
	}
	if err := l.Mark("a/1", false); err != nil {
		t.Fatalf("forgetting twice: %v", err)
	}
}
