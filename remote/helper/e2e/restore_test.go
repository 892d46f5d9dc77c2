package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kasmfleet/push/examples/lab/labenv"
	"github.com/kasmfleet/push/remote/proto"
)

// TestSurvivesDockerRestartAndReboot: a Docker restart leaves push's
// SNAT table alone; after a reboot the boot unit restores everything,
// including a SNAT source address push added, and verify passes with no
// apply from push.
func TestSurvivesDockerRestartAndReboot(t *testing.T) {
	lab := labenv.Require(t)
	r := newRig(t, lab, 2)
	ctx := testContext(t, 10*time.Minute)
	spec := r.spec()
	added := fmt.Sprintf("198.51.100.20%d", r.n)
	spec.Bridges = append(spec.Bridges, proto.BridgeNetwork{Name: "z_custom_b", Bridge: "z_custom_b", Subnet: "10.20.0.0/16",
		SourceIP: added, AddAddress: added + "/24", VerifyURL: "http://198.51.100.1:8080/"})
	unadd := "ip addr del " + added + "/24 dev eth2 2>/dev/null; true"
	r.sh(ctx, unadd) // Reset does not know push's added addresses
	t.Cleanup(func() { r.exec(testContext(t, time.Minute), unadd, nil) })
	res := r.apply(ctx, spec)
	if k := actionKinds(res); k["done add-address"] != 1 {
		t.Fatalf("apply did not add %s:\n%s", added, actionsText(res))
	}
	r.sh(ctx, "ip -br addr show eth2 | grep -q "+added+"/24")

	r.sh(ctx, "systemctl restart docker")
	r.converged(ctx, spec)
	r.verified(ctx, spec)

	start := time.Now()
	if err := lab.Reboot(ctx, r.agent.Name); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s rebooted in %v", r.agent.Name, time.Since(start).Round(time.Second))
	r.ssh.Close()
	r.dial(ctx)
	// The unit runs after docker.service; wait for it to finish.
	r.sh(ctx, "for i in $(seq 120); do s=$(systemctl show -p ActiveState --value push-restore.service); "+
		"[ $s = active ] && exit 0; [ $s = failed ] && break; sleep 1; done; systemctl status push-restore.service; exit 1")
	r.verified(ctx, spec)
	r.converged(ctx, spec)

	// A boot where Docker does not come up: restore still brings back
	// the trunk and the SNAT table, and fails naming Docker.
	r.sh(ctx, "systemctl stop docker.socket docker && nft delete table ip push && ip link set eth1 down")
	t.Cleanup(func() { r.exec(testContext(t, time.Minute), "systemctl start docker", nil) })
	res, code := r.helper(ctx, proto.VerbRestore, spec, proto.Options{})
	k := actionKinds(res)
	if code != proto.ExitFailed || k["done trunk-up"] != 1 || k["done add-snat"] == 0 || k["failed add-snat"] > 0 || k["skipped create-network"] == 0 {
		t.Fatalf("restore without Docker: exit %d, want 1 with the trunk up and SNAT added, networks skipped:\n%s", code, actionsText(res))
	}
	if text := actionsText(res); !strings.Contains(text, "not attempted: docker:") {
		t.Errorf("restore without Docker does not say Docker is why:\n%s", text)
	}
	r.sh(ctx, "nft list table ip push | grep -q 'snat to "+r.agent.ExtraAddr+"' && ip -br link show eth1 | grep -q UP")
	r.sh(ctx, "systemctl start docker")
	r.converged(ctx, spec)
	r.verified(ctx, spec)
}

// TestKillMidApply kills the helper with SIGKILL at every point of an
// apply from a clean host: as each step starts, and right after each
// change request has reached Docker (while Docker still works on it).
// Each time the next apply converges. At one point a second apply runs
// first: it must fail at once, naming the holder.
func TestKillMidApply(t *testing.T) {
	lab := labenv.Require(t)
	ctx := testContext(t, 40*time.Minute)
	r := newRig(t, lab, 3)
	spec := r.spec()
	points := killPoints(r.plan(ctx, spec))
	for i, p := range points {
		t.Run(p.String(), func(t *testing.T) {
			r := newRig(t, lab, 3)
			second := ""
			if i == len(points)/2 {
				second = r.path + " < /tmp/push-req.json"
			}
			out := r.killAt(ctx, spec, p, second)
			if second != "" && (!strings.Contains(out, "host is locked by another push run") || !strings.Contains(out, "holder=e2e-kill")) {
				t.Errorf("a concurrent apply did not fail fast naming the holder: %s", out)
			}
			res := r.apply(ctx, spec)
			t.Logf("the next apply took %d actions", len(res.Actions))
			r.converged(ctx, spec)
			if i == len(points)-1 {
				r.verified(ctx, spec)
			}
		})
	}
}

// killPoint is the n-th trace line starting with prefix.
type killPoint struct {
	prefix string
	n      int
}

func (p killPoint) String() string {
	return strings.ReplaceAll(fmt.Sprintf("%s#%d", strings.TrimPrefix(p.prefix, "push-helper: "), p.n), " ", "_")
}

// killPoints: the start of every planned step, and each change request
// sent to Docker.
func killPoints(actions []proto.Action) []killPoint {
	var out []killPoint
	sent := 0
	for _, a := range actions {
		out = append(out, killPoint{prefix: fmt.Sprintf("push-helper: start %s %s", a.Kind, a.Target), n: 1})
		switch a.Kind {
		case proto.ActCreateNetwork, proto.ActReplaceNetwork, proto.ActRemoveNetwork:
			sent++
			out = append(out, killPoint{prefix: "push-helper: docker ", n: sent})
		}
	}
	return out
}

// killAt runs an apply with the helper's trace on and kills it with
// SIGKILL on the VM as soon as the trace reaches p (after running second,
// if set). It returns what the shell printed.
func (r *rig) killAt(ctx context.Context, spec proto.HostSpec, p killPoint, second string) string {
	r.t.Helper()
	req, _ := jsonRequest(proto.VerbApply, spec)
	script := `cat > /tmp/push-req.json; rm -f /tmp/push-trace; mkfifo /tmp/push-trace
PUSH_HELPER_TRACE=1 ` + r.path + ` < /tmp/push-req.json > /tmp/push-killed.json 2> /tmp/push-trace & pid=$!
n=0
while IFS= read -r line; do
	case "$line" in "$PREFIX"*) n=$((n+1)); if [ $n = $NTH ]; then ` + second + `
		kill -9 $pid; break; fi ;; esac
done < /tmp/push-trace
wait $pid; echo killed=$?; rm -f /tmp/push-trace`
	script = fmt.Sprintf("PREFIX=%q NTH=%d; %s", p.prefix, p.n, script)
	out, _, err := r.exec(ctx, "bash -c "+shellQuote(script), req)
	if err != nil {
		r.t.Fatal(err)
	}
	if !strings.Contains(out, "killed=137") {
		r.t.Fatalf("apply was not killed at %s: %s", p, out)
	}
	return out
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
