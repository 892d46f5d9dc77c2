package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/kasmfleet/push/examples/lab/labenv"
	"github.com/kasmfleet/push/examples/lab/needs"
)

// bootState is what must survive a reboot or a power cycle: the disk, the
// identity (so the host key in known_hosts still matches), and Docker.
func bootState(t *testing.T, lab *labenv.Lab, agent string) (boot string) {
	t.Helper()
	ctx := testContext(t, time.Minute)
	out, err := lab.Run(ctx, agent, "cat /proc/sys/kernel/random/boot_id; hostname; cat /var/tmp/lab-e2e-mark")
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(out)
	if len(f) != 3 || f[1] != agent || f[2] != "kept" {
		t.Fatalf("after boot: %q, want boot id, %s, kept", out, agent)
	}
	return f[0]
}

func mark(t *testing.T, lab *labenv.Lab, agent string) {
	t.Helper()
	ctx := testContext(t, time.Minute)
	if _, err := lab.Run(ctx, agent, "echo kept > /var/tmp/lab-e2e-mark && sync"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = lab.Run(testContext(t, time.Minute), agent, "rm -f /var/tmp/lab-e2e-mark") })
}

func TestReboot(t *testing.T) {
	needs.NotShort(t)
	lab := labenv.Require(t)
	agent := lab.Agents()[1].Name
	mark(t, lab, agent)
	before := bootState(t, lab, agent)
	if err := lab.Reboot(testContext(t, 8*time.Minute), agent); err != nil {
		t.Fatal(err)
	}
	if after := bootState(t, lab, agent); after == before {
		t.Errorf("boot id %s unchanged: the VM did not reboot", after)
	}
}

func TestStopStart(t *testing.T) {
	needs.NotShort(t)
	lab := labenv.Require(t)
	agent := lab.Agents()[2].Name
	mark(t, lab, agent)
	before := bootState(t, lab, agent)
	ctx := testContext(t, 8*time.Minute)
	if err := lab.Stop(ctx, agent); err != nil {
		t.Fatal(err)
	}
	if _, err := lab.Run(testContext(t, 20*time.Second), agent, "true"); err == nil {
		t.Fatal("a stopped VM still answers")
	}
	if err := lab.Start(ctx, agent); err != nil {
		t.Fatal(err)
	}
	if after := bootState(t, lab, agent); after == before {
		t.Errorf("boot id %s unchanged after a power cycle", after)
	}
}
