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
// apply from a clean host: at the start of each step (the helper waits
// there, PUSH_HELPER_STEP, so the kill lands exactly on the boundary)
// and right after each change request has reached Docker, while Docker
// still works on it. Each killed run follows the one killed before, as
// an admin's rerun would: every step it takes must succeed, and the
// apply after the last kill converges. At one point a second apply runs
// while the first holds the host: it must fail at once, naming the
// holder.
func TestKillMidApply(t *testing.T) {
	lab := labenv.Require(t)
	ctx := testContext(t, 20*time.Minute)
	r := newRig(t, lab, 3)
	spec := r.spec()
	points := killPoints(r.plan(ctx, spec))
	for i, p := range points {
		second := ""
		if i == len(points)/2 {
			second = r.path + " < /tmp/push-req.json"
		}
		out, trace := r.killAt(ctx, spec, p, second)
		if second != "" && (!strings.Contains(out, "host is locked by another push run") || !strings.Contains(out, "holder=e2e-kill")) {
			t.Errorf("a concurrent apply did not fail fast naming the holder: %s", out)
		}
		ended := 0
		for _, line := range strings.Split(trace, "\n") {
			if strings.HasPrefix(line, "push-helper: end ") {
				ended++
				if !strings.HasSuffix(line, " done") {
					t.Errorf("run killed at %s: a step before the kill did not succeed: %s\n%s", p, line, trace)
				}
			}
		}
		t.Logf("killed at %s after %d steps", p, ended)
	}
	res := r.apply(ctx, spec)
	t.Logf("the apply after the last kill took %d actions", len(res.Actions))
	r.converged(ctx, spec)
	r.verified(ctx, spec)
}

// killPoint is the first trace line starting with at, after a line
// starting with after (if set).
type killPoint struct{ after, at string }

func (p killPoint) String() string {
	if p.after != "" {
		return fmt.Sprintf("%q after %q", p.at, p.after)
	}
	return fmt.Sprintf("%q", p.at)
}

// killPoints: the start of every planned step, and the change request
// each Docker network step sends.
func killPoints(actions []proto.Action) []killPoint {
	var out []killPoint
	for _, a := range actions {
		start := fmt.Sprintf("push-helper: start %s %s", a.Kind, a.Target)
		out = append(out, killPoint{at: start})
		switch a.Kind {
		case proto.ActCreateNetwork, proto.ActReplaceNetwork, proto.ActRemoveNetwork:
			out = append(out, killPoint{after: start, at: "push-helper: docker "})
		}
	}
	return out
}

// killScript runs the helper in step mode, lets it through each step
// start until the trace reaches $AT (after $AFTER), runs $SECOND, and
// kills it with SIGKILL. It prints what the shell saw, then the trace.
const killScript = `cat > /tmp/push-req.json
rm -f /tmp/push-step /tmp/push-trace /tmp/push-trace.log; mkfifo /tmp/push-step /tmp/push-trace
PUSH_HELPER_STEP=/tmp/push-step $HELPER < /tmp/push-req.json > /tmp/push-killed.json 2> /tmp/push-trace & pid=$!
seen=; [ -z "$AFTER" ] && seen=1
while IFS= read -r line; do
	echo "$line" >> /tmp/push-trace.log
	if [ -n "$seen" ]; then
		case "$line" in "$AT"*) eval "$SECOND"; kill -9 $pid; break ;; esac
	fi
	case "$line" in "$AFTER"*) seen=1 ;; esac
	case "$line" in "push-helper: start "*) timeout 120 sh -c 'echo go > /tmp/push-step' ;; esac
done < /tmp/push-trace
wait $pid; echo killed=$?
echo ---trace---; cat /tmp/push-trace.log; rm -f /tmp/push-step /tmp/push-trace`

// killAt runs an apply killed at p; it returns the shell's output and
// the helper's trace up to the kill.
func (r *rig) killAt(ctx context.Context, spec proto.HostSpec, p killPoint, second string) (string, string) {
	r.t.Helper()
	req, _ := jsonRequest(proto.VerbApply, spec)
	env := fmt.Sprintf("HELPER=%s AFTER=%s AT=%s SECOND=%s ", shellQuote(r.path), shellQuote(p.after), shellQuote(p.at), shellQuote(second))
	out, _, err := r.exec(ctx, env+"bash -c "+shellQuote(killScript), req)
	if err != nil {
		r.t.Fatal(err)
	}
	out, trace, _ := strings.Cut(out, "---trace---\n")
	if !strings.Contains(out, "killed=137") {
		r.t.Fatalf("apply was not killed at %s: %s\ntrace:\n%s", p, out, trace)
	}
	return out, trace
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
