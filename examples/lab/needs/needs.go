// Package needs lets a test declare what the machine must provide (root,
// a binary, the lab). On a laptop an unmet need skips the test with the
// reason; in CI (PUSH_REQUIRE_ALL=1) it fails it, so nothing CI should run
// is skipped silently.
package needs

import (
	"os"
	"os/exec"
	"testing"
)

// Required reports whether unmet needs fail instead of skipping.
func Required() bool { return os.Getenv("PUSH_REQUIRE_ALL") == "1" }

// Skip skips t with reason, or fails it when every test is required.
func Skip(t testing.TB, reason string) {
	t.Helper()
	if Required() {
		t.Fatalf("required test cannot run: %s (PUSH_REQUIRE_ALL=1)", reason)
	}
	t.Skip(reason)
}

// Root needs uid 0.
func Root(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		Skip(t, "needs root")
	}
}

// Command needs each named program on PATH.
func Command(t testing.TB, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, err := exec.LookPath(n); err != nil {
			Skip(t, "needs "+n+" on PATH")
		}
	}
}

// NotShort marks a slow test that `go test -short` leaves out. Short mode
// is a developer's choice, so it skips even in CI's required mode; CI does
// not run with -short.
func NotShort(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("slow test; not run with -short")
	}
}
