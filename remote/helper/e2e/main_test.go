package e2e

import (
	"os"
	"runtime/debug"
	"testing"
)

// TestMain turns the garbage collector off for this short-lived test
// process. labenv.Require flocks the lab's lock file but keeps no
// reference to it, so a collection would close the file and drop the
// lock, letting another test process reset the VMs under these tests.
// With no collection the lock lives until the process exits. (Remove
// this once labenv keeps its lock file referenced.)
func TestMain(m *testing.M) {
	debug.SetGCPercent(-1)
	os.Exit(m.Run())
}
