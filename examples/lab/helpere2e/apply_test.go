package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kasmfleet/push/examples/lab/labenv"
	"github.com/kasmfleet/push/remote/helper/netcfg"
	"github.com/kasmfleet/push/remote/proto"
)

// planBudget is the budget for plan on a converged host, in the
// helper's own CPU time on a lab VM.
const planBudget = 200 * time.Millisecond

// TestApplyEveryFlavour converges each agent (ifupdown, networkd,
// netplan) from pristine: plan lists the changes, apply takes them all,
// a second apply changes nothing, plan is cheap, and verify's probes
// reach both VLAN gateways and see the SNAT source address.
func TestApplyEveryFlavour(t *testing.T) {
	lab := labenv.Require(t)
	for n := 1; n <= 3; n++ {
		t.Run(fmt.Sprintf("agent%d", n), func(t *testing.T) {
			r := newRig(t, lab, n)
			ctx := testContext(t, 6*time.Minute)
			spec := r.spec()

			res, code := r.helper(ctx, proto.VerbPlan, spec, proto.Options{})
			if code != proto.ExitChanges || res.Facts == nil || res.Facts.NetConfig != r.agent.NetConfig {
				t.Fatalf("plan on a pristine host: exit %d, facts %+v, error %q", code, res.Facts, res.Error)
			}
			if res.Facts.SSHInterface != "eth0" {
				t.Errorf("ssh interface %q, want eth0", res.Facts.SSHInterface)
			}
			start := time.Now()
			res = r.apply(ctx, spec)
			t.Logf("%s (%s): first apply took %v, %d actions", r.agent.Name, r.agent.NetConfig, time.Since(start).Round(time.Millisecond), len(res.Actions))
			k := actionKinds(res)
			if k["done create-network"] != 4 || k["done add-snat"] != 1 || k["done trunk-up"] != 1 || k["done persist-trunk"] != 1 {
				t.Errorf("first apply:\n%s", actionsText(res))
			}
			f := res.Facts
			if f.Trunk == nil || !f.Trunk.Up || !f.Trunk.Persisted || len(f.Trunk.Addresses) != 0 || !f.Module8021q.Loaded || !f.Module8021q.Persisted || !f.RestoreUnit {
				t.Errorf("facts read back after apply: %+v trunk %+v", f, f.Trunk)
			}
			// Docker made the VLAN parents, push did not.
			r.sh(ctx, "ip -d link show eth1.150 | grep -q 'vlan protocol 802.1Q id 150' && ip -d link show eth1.160 | grep -q 'id 160'")
			r.sh(ctx, "test -s "+netcfg.File(netcfg.Flavor(r.agent.NetConfig)))
			r.sh(ctx, "nft list table ip push | grep -q 'snat to "+r.agent.ExtraAddr+"'")

			res = r.apply(ctx, spec)
			if len(res.Actions) != 0 {
				t.Fatalf("second apply changed things:\n%s", actionsText(res))
			}
			r.converged(ctx, spec)
			// Logged, never asserted: the VM's CPU time depends on the load
			// of the machine under it (CI saw 408 ms at load 3 and failed
			// here). The budget is measured by make bench.
			cpu := r.planCPU(ctx, spec, 5)
			t.Logf("%s: plan on a converged host: %v CPU (least of 5; budget %v, measured by make bench)", r.agent.Name, cpu, planBudget)
			res = r.verified(ctx, spec)
			for _, c := range res.Checks {
				t.Logf("%s: check %s: %s: got %s", r.agent.Name, c.Network, c.What, c.Got)
			}
			// A no-change apply with verify reads Docker's version and
			// its list of networks once: verify uses observe's list, and
			// every network it probes holds push's reserved probe address.
			res, reads := r.dockerReads(ctx, spec)
			if len(res.Actions) != 0 || len(res.Checks) != 5 || !allOK(res.Checks) {
				t.Errorf("no-change apply with verify:\n%s%s", actionsText(res), checksText(res))
			}
			if want := map[string]int{"ping": 1, "list": 1}; !maps.Equal(reads, want) {
				t.Errorf("docker reads of a no-change apply with verify: %v, want %v", reads, want)
			}
		})
	}
}

// TestDriftIsFoundAndRepaired removes a network and the SNAT rule behind
// push's back; plan names exactly those, apply puts them back.
func TestDriftIsFoundAndRepaired(t *testing.T) {
	lab := labenv.Require(t)
	r := newRig(t, lab, 1)
	ctx := testContext(t, 6*time.Minute)
	spec := r.spec()
	r.apply(ctx, spec)

	r.sh(ctx, "docker network rm z_vlan160 && nft flush chain ip push postrouting")
	res, code := r.helper(ctx, proto.VerbPlan, spec, proto.Options{})
	k := actionKinds(res)
	if code != proto.ExitChanges || len(res.Actions) != 2 || k["pending create-network"] != 1 || k["pending add-snat"] != 1 {
		t.Fatalf("plan after docker network rm and a deleted rule: exit %d\n%s", code, actionsText(res))
	}
	res = r.apply(ctx, spec)
	if len(res.Actions) != 2 {
		t.Fatalf("repair:\n%s", actionsText(res))
	}
	r.converged(ctx, spec)
	r.sh(ctx, "test $(nft list table ip push | grep -c 'snat to') = 1")
	r.verified(ctx, spec)
}

// TestRefusesNetworkWithContainers attaches a running container to a
// network, changes the network's spec, and checks that apply refuses,
// names the container and leaves the network as it was; an unlabelled
// network of the admin's is not replaced either.
func TestRefusesNetworkWithContainers(t *testing.T) {
	lab := labenv.Require(t)
	r := newRig(t, lab, 1)
	ctx := testContext(t, 6*time.Minute)
	spec := r.spec()
	r.apply(ctx, spec)

	// An image from the VM's own busybox: no registry needed.
	r.sh(ctx, `docker image inspect push-e2e-busybox >/dev/null 2>&1 || {
		d=$(mktemp -d) && mkdir -p $d/bin && cp /bin/busybox $d/bin/ && ln -s busybox $d/bin/sleep &&
		tar -C $d -c . | docker import - push-e2e-busybox >/dev/null && rm -rf $d; }`)
	r.sh(ctx, "docker run -d --security-opt apparmor=unconfined --name e2e_holder --network z_vlan150 push-e2e-busybox /bin/sleep 3600 >/dev/null")
	t.Cleanup(func() { r.exec(testContext(t, time.Minute), "docker rm -f e2e_holder", nil) })
	id := r.sh(ctx, "docker network inspect -f '{{.Id}}' z_vlan150")

	drifted := spec
	drifted.VLANs = append([]proto.VLANNetwork(nil), spec.VLANs...)
	drifted.VLANs[0].IPRange = fmt.Sprintf("192.0.2.%d/28", 16*r.n+64)
	drifted.VLANs[0].ProbeIP = fmt.Sprintf("192.0.2.%d", 16*r.n+64+14)
	// Asked to change nothing while sessions block it (push's first
	// apply on a host in a drain), the helper names the container and
	// takes no step at all, not even recording the spec.
	applied := r.sh(ctx, "sha256sum < /var/lib/push/applied.json")
	res, code := r.helper(ctx, proto.VerbApply, drifted, proto.Options{UnlessBusy: true})
	if code != proto.ExitFailed || res.Code != proto.CodeBusy || !slices.Equal(proto.Blocking(res.Actions), []string{"e2e_holder"}) {
		t.Fatalf("apply unless busy of a drifted network with a container: exit %d, code %q, error %q\n%s", code, res.Code, res.Error, actionsText(res))
	}
	for _, a := range res.Actions {
		if a.Outcome == proto.OutcomeDone {
			t.Fatalf("apply unless busy took a step: %s", a.Summary)
		}
	}
	if now := r.sh(ctx, "sha256sum < /var/lib/push/applied.json"); now != applied {
		t.Fatal("apply unless busy recorded the spec")
	}

	res, code = r.helper(ctx, proto.VerbApply, drifted, proto.Options{})
	var refused *proto.Action
	for i, a := range res.Actions {
		if a.Target == "z_vlan150" {
			refused = &res.Actions[i]
		}
	}
	if code != proto.ExitFailed || refused == nil || refused.Outcome != proto.OutcomeRefused || !strings.Contains(refused.Error, "e2e_holder") {
		t.Fatalf("apply of a drifted network with a container: exit %d\n%s", code, actionsText(res))
	}
	if now := r.sh(ctx, "docker network inspect -f '{{.Id}}' z_vlan150"); now != id {
		t.Fatalf("network replaced despite its container: %s → %s", id, now)
	}

	// A plan that may wait for sessions (push's drain): while e2e_holder
	// stays, it answers blocked once its wait is over; when the container
	// leaves during the wait, it answers with nothing blocked.
	res, code = r.helper(ctx, proto.VerbPlan, drifted, proto.Options{WaitForSessions: 1})
	if code != proto.ExitChanges || !slices.Equal(proto.Blocking(res.Actions), []string{"e2e_holder"}) {
		t.Fatalf("plan waiting 1 s while e2e_holder stays: exit %d, error %q\n%s", code, res.Error, actionsText(res))
	}
	res, code, inspected := r.planWhileLeaving(ctx, drifted, id, "e2e_holder")
	if code != proto.ExitChanges || res.Error != "" || len(proto.Blocking(res.Actions)) != 0 {
		t.Fatalf("plan waiting while e2e_holder leaves: exit %d, error %q\n%s", code, res.Error, actionsText(res))
	}
	if inspected < 2 {
		t.Fatalf("the helper inspected z_vlan150 %d times: it answered without waiting", inspected)
	}

	// The admin's own network of a name push wants is never replaced.
	r.sh(ctx, "docker network rm z_enclave_2 && docker network create --internal z_enclave_2 >/dev/null")
	res, code = r.helper(ctx, proto.VerbPlan, spec, proto.Options{Prune: true})
	var others []proto.Action // besides recording the spec, which the drifted apply replaced
	for _, a := range res.Actions {
		if a.Kind != proto.ActWriteState {
			others = append(others, a)
		}
	}
	if code != proto.ExitChanges || len(others) != 1 || others[0].Target != "z_enclave_2" || others[0].Outcome != proto.OutcomeRefused ||
		!strings.Contains(others[0].Error, "was made by hand and differs from the spec") {
		t.Fatalf("plan with the admin's z_enclave_2:\n%s", actionsText(res))
	}
}

// TestRefusesTheSessionInterface asks for eth0, which carries the SSH
// session, as the trunk.
func TestRefusesTheSessionInterface(t *testing.T) {
	lab := labenv.Require(t)
	r := newRig(t, lab, 2)
	ctx := testContext(t, 2*time.Minute)
	spec := r.spec()
	spec.Trunk = &proto.Trunk{NIC: "eth0"}
	before := r.sh(ctx, "ip -br addr show eth0")
	res, code := r.helper(ctx, proto.VerbApply, spec, proto.Options{})
	if code != proto.ExitFailed || len(res.Actions) != 0 || !strings.Contains(res.Error, "trunk NIC eth0 carries the session") {
		t.Fatalf("apply with eth0 as trunk: exit %d error %q\n%s", code, res.Error, actionsText(res))
	}
	if after := r.sh(ctx, "ip -br addr show eth0"); after != before {
		t.Fatalf("eth0 changed: %q → %q", before, after)
	}
}

// planWhileLeaving runs a plan of spec that may wait ten minutes for
// sessions, and removes container once the helper has inspected the
// network (its id) twice: the helper has then seen the container in its
// first read, and is waiting. It returns the answer and how many times
// the helper inspected the network.
func (r *rig) planWhileLeaving(ctx context.Context, spec proto.HostSpec, id, container string) (proto.Result, int, int) {
	r.t.Helper()
	req, _ := json.Marshal(proto.Request{Version: proto.Version, Verb: proto.VerbPlan, Spec: &spec, Options: proto.Options{WaitForSessions: 600}})
	if _, code, err := r.exec(ctx, "cat > /tmp/e2e-wait.json", req); err != nil || code != 0 {
		r.t.Fatalf("write the request: exit %d, %v", code, err)
	}
	inspects := fmt.Sprintf(`grep -c 'GET .*/networks/%s$' /tmp/e2e-wait.trace`, id)
	// The remover gives up after 5 minutes, so that it never outlives a
	// helper that does not wait.
	out, code, err := r.exec(ctx, fmt.Sprintf(`rm -f /tmp/e2e-wait.trace
(i=0; until [ "$(%s 2>/dev/null)" -ge 2 ] 2>/dev/null || [ $i -ge 3000 ]; do sleep 0.1; i=$((i+1)); done; docker rm -f %s) >/dev/null 2>&1 &
PUSH_HELPER_TRACE=1 %s < /tmp/e2e-wait.json 2>/tmp/e2e-wait.trace`, inspects, container, r.path), nil)
	if err != nil {
		r.t.Fatalf("plan while %s leaves: %v", container, err)
	}
	var res proto.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		r.t.Fatalf("plan while %s leaves: stdout is not a result: %v: %q", container, err, out)
	}
	n, _ := strconv.Atoi(strings.TrimSpace(r.sh(ctx, inspects+" || true")))
	return res, code, n
}
