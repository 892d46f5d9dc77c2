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
