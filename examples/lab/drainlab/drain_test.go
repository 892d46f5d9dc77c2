package drainlab

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kasmfleet/push/examples/lab/kasmdouble"
	"github.com/kasmfleet/push/examples/lab/labenv"
	"github.com/kasmfleet/push/examples/lab/needs"
)

// Each agent's z_vlan150 ip-range per per_agent (slots 0, 1, 2): the
// slices of 192.0.2.0/25 but the one holding the gateway.
var ranges = map[int][]string{
	28: {"192.0.2.16/28", "192.0.2.32/28", "192.0.2.48/28"},
	27: {"192.0.2.32/27", "192.0.2.64/27", "192.0.2.96/27"},
}

// TestLiveChange changes the ip-range of agents with sessions attached,
// with Kasm's API played by the contract double: a rolling change of all
// three, a drain that times out, an apply that fails after the drain.
// The cases run in order on the fleet the one before left.
func TestLiveChange(t *testing.T) {
	needs.NotShort(t)
	lab := labenv.Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Minute)
	defer cancel()
	agents := agentNames(lab)
	step := stepTimer(t)
	eachAgent(t, agents, func(a string) error {
		if err := lab.Reset(ctx, a); err != nil {
			return err
		}
		_, err := lab.ProbeImage(ctx, a)
		return err
	})
	f := newFleet(t, lab)
	step("reset 3 agents, probe image")

	// The fleet before: per_agent 28, no sessions, so no drain.
	labenv.PushBinary(t)
	step("make build")
	r := f.start(t, ctx, f.inventory(t, 28), "--batch", "100%")
	if code, _ := r.wait(); code != 0 {
		t.Fatalf("first apply: exit %d", code)
	}
	if n := len(updates(f.double.Log(), 0)); n != 0 {
		t.Fatalf("first apply (no sessions) called update_server %d times; a host without sessions is not drained", n)
	}
	step("first apply, per_agent 28, no sessions")
	if !t.Run("rolling", func(t *testing.T) { rolling(t, ctx, f, agents) }) {
		return
	}
	step("rolling")
	if !t.Run("timeout", func(t *testing.T) { timeout(t, ctx, f, agents) }) {
		return
	}
	step("timeout")
	if !t.Run("failure after drain", func(t *testing.T) { failure(t, ctx, f, agents) }) {
		return
	}
	step("failure after drain, rerun")
	t.Run("force disconnect", func(t *testing.T) { forceDisconnect(t, ctx, f, agents) })
	step("force disconnect")
}

// rolling: per_agent 28 → 27 on three agents with two sessions each,
// batch 1. The test ends an agent's sessions once push has disabled it
// and waits for them.
func rolling(t *testing.T, ctx context.Context, f *fleet, agents []string) {
	since := map[string]string{}
	sessions := map[string][]string{}
	for _, a := range agents {
		sessions[a] = []string{a + "-s1", a + "-s2"}
	}
	eachAgent(t, agents, func(a string) error {
		return f.startSessions(ctx, a, sessions[a]...)
	})
	for _, a := range agents {
		now, err := run(ctx, f.lab, a, "date +%s")
		if err != nil {
			t.Fatal(err)
		}
		since[a] = now
	}
	from := len(f.double.Log())
	start := time.Now()
	r := f.start(t, ctx, f.inventory(t, 27))
	ended := map[string]time.Time{}
	for range agents {
		req, i, err := f.double.WaitFor(r.ctx, from, func(q kasmdouble.Request) bool {
			return slices.ContainsFunc(agents, func(a string) bool { return ended[a].IsZero() && kasmdouble.Disabled(a)(q) })
		})
		if err != nil {
			r.fatal(err)
		}
		from = i + 1
		host := strings.TrimPrefix(req.ServerID, "srv-")
		// The host is disabled with its sessions still there; push waits.
		if n, err := run(ctx, f.lab, host, "docker ps -q --filter network=z_vlan150 | wc -l"); err != nil || n != "2" {
			t.Fatalf("%s disabled: %s sessions running (%v), want its 2", host, n, err)
		}
		if _, err := r.waitStep(ctx, host, "drain wait"); err != nil {
			r.fatal(err)
		}
		if err := f.endSessions(ctx, host, sessions[host]...); err != nil {
			t.Fatal(err)
		}
		ended[host] = time.Now()
	}
	code, rep := r.wait()
	took := time.Since(start)
	if code != 0 {
		t.Fatalf("rolling apply: exit %d, want 0", code)
	}
	for _, h := range rep.Hosts {
		if h.State != "done" || h.Result == nil || len(h.Result.Checks) == 0 {
			t.Fatalf("%s: %s, %v; want done and verified", h.Name, h.State, h.Error)
		}
		for _, c := range h.Result.Checks {
			if !c.OK {
				t.Fatalf("%s: verify %s: %s", h.Name, c.What, c.Error)
			}
		}
	}

	// The double's log: at every moment at most one agent disabled (batch
	// 1), so at least two enabled; each agent disabled once, then enabled
	// once.
	log := updates(f.double.Log(), 0)
	enabled := map[string]bool{}
	for _, a := range agents {
		enabled["srv-"+a] = true
	}
	calls := map[string][]bool{}
	for _, q := range log {
		enabled[q.ServerID] = *q.Enabled
		calls[q.ServerID] = append(calls[q.ServerID], *q.Enabled)
		if n := count(enabled, true); n < 2 || len(agents)-n > 1 {
			t.Fatalf("after %s enabled=%t: %d of %d agents enabled; batch 1 allows one disabled", q.ServerID, *q.Enabled, n, len(agents))
		}
	}
	for _, a := range agents {
		if c := calls["srv-"+a]; !slices.Equal(c, []bool{false, true}) {
			t.Fatalf("%s: update_server enabled=%v, want false then true", a, c)
		}
		if !f.double.Enabled(a) {
			t.Fatalf("%s ends disabled", a)
		}
	}

	// Per agent: disabled before its apply began, enabled after its
	// apply (with verify) ended (the double's and push's clocks are this
	// machine's); its sessions were gone before z_vlan150 was recreated
	// (both on the agent's clock).
	t.Logf("%-13s %8s %8s %8s %8s %8s %8s %9s", "agent", "total", "disable", "held", "notice", "apply", "enable", "overhead")
	for i, a := range agents {
		off, on := when(log, a, false), when(log, a, true)
		wait, apply, undrain, end := r.step(a, "drain wait"), r.stepAfter(a, "apply", "drain wait"), r.step(a, "undrain"), r.end(a)
		if !off.Before(apply) || !undrain.Before(on) {
			t.Fatalf("%s: disabled %s, apply %s, undrain %s, enabled %s: want disabled before apply, enabled after", a,
				off.Format(time.StampMicro), apply.Format(time.StampMicro), undrain.Format(time.StampMicro), on.Format(time.StampMicro))
		}
		destroyed, created, err := dockerOrder(ctx, f.lab, a, since[a])
		if err != nil {
			t.Fatal(err)
		}
		if destroyed >= created {
			t.Fatalf("%s: z_vlan150 created at %d, before its last session container was removed at %d", a, created, destroyed)
		}
		if got, err := ipRange(ctx, f.lab, a); err != nil || got != ranges[27][i] {
			t.Fatalf("%s: z_vlan150 ip-range %q (%v), want %s", a, got, err, ranges[27][i])
		}
		start := r.hostStart(a)
		held := ended[a].Sub(wait)
		total := end.Sub(start)
		t.Logf("%-13s %7.1fs %7.1fs %7.1fs %7.1fs %7.1fs %7.1fs %8.1fs", a, total.Seconds(), wait.Sub(start).Seconds(), held.Seconds(),
			apply.Sub(ended[a]).Seconds(), undrain.Sub(apply).Seconds(), end.Sub(undrain).Seconds(), (total - held).Seconds())
	}
	t.Logf("rolling change of %d agents: %.1fs in all", len(agents), took.Seconds())
	eachAgent(t, agents, func(a string) error {
		return probe(ctx, f.lab, a, netip.MustParsePrefix(ranges[27][slices.Index(agents, a)]))
	})
}

// timeout: back to per_agent 28 with a session on the first agent that
// never ends, and drain_timeout 20s: the host is reported, unchanged and
// enabled again, and the failure budget (0) stops the run.
func timeout(t *testing.T, ctx context.Context, f *fleet, agents []string) {
	first := agents[0]
	if err := f.startSessions(ctx, first, "stuck"); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := f.endSessions(ctx, first, "stuck"); err != nil {
			t.Error(err)
		}
	}()
	from := len(f.double.Log())
	code, rep := f.start(t, ctx, f.inventory(t, 28), "--drain-timeout", "20s").wait()
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	for _, h := range rep.Hosts {
		want := "not-started"
		if h.Name == first {
			want = "failed"
			if !strings.Contains(h.Error, "drain timed out, 1 sessions remain: stuck") || !strings.Contains(h.Error, "left unchanged") {
				t.Fatalf("%s: %q; want drain timed out, 1 sessions remain: stuck; left unchanged", h.Name, h.Error)
			}
		}
		if h.State != want {
			t.Fatalf("%s: %s, want %s", h.Name, h.State, want)
		}
	}
	if got, err := ipRange(ctx, f.lab, first); err != nil || got != ranges[27][0] {
		t.Fatalf("%s: z_vlan150 ip-range %q (%v), want it unchanged: %s", first, got, err, ranges[27][0])
	}
	if !f.double.Enabled(first) {
		t.Fatalf("%s left disabled after its drain timed out", first)
	}
	if got := updates(f.double.Log(), from); len(got) != 2 || *got[0].Enabled || !*got[1].Enabled || got[0].ServerID != "srv-"+first || got[1].ServerID != "srv-"+first {
		t.Fatalf("update_server calls %v, want %s disabled then enabled", got, first)
	}
}

// failure: the gateway refuses the second agent's new ip-range, so its
// verify fails after the drain: it stays disabled, push exits 1; once the
// gateway is fixed, a rerun finishes it and enables it.
func failure(t *testing.T, ctx context.Context, f *fleet, agents []string) {
	host := agents[1]
	block := "iptables -I INPUT -s " + ranges[28][1] + " -p tcp --dport 8080 -j REJECT"
	unblock := "iptables -D INPUT -s " + ranges[28][1] + " -p tcp --dport 8080 -j REJECT"
	if _, err := run(ctx, f.lab, "lab-gw", block); err != nil {
		t.Fatal(err)
	}
	blocked := true
	defer func() {
		if blocked {
			if _, err := run(context.Background(), f.lab, "lab-gw", unblock); err != nil {
				t.Error(err)
			}
		}
	}()
	if err := f.startSessions(ctx, host, "late"); err != nil {
		t.Fatal(err)
	}
	from := len(f.double.Log())
	inv := f.inventory(t, 28)
	r := f.start(t, ctx, inv, "--limit", host)
	if _, _, err := f.double.WaitFor(r.ctx, from, kasmdouble.Disabled(host)); err != nil {
		r.fatal(err)
	}
	if _, err := r.waitStep(ctx, host, "drain wait"); err != nil {
		r.fatal(err)
	}
	if err := f.endSessions(ctx, host, "late"); err != nil {
		t.Fatal(err)
	}
	code, rep := r.wait()
	if code != 1 || len(rep.Hosts) != 1 || rep.Hosts[0].State != "failed" || !strings.Contains(rep.Hosts[0].Error, "the host stays drained") {
		t.Fatalf("exit %d, %+v; want 1 and %s failed, saying it stays drained", code, rep.Hosts, host)
	}
	if f.double.Enabled(host) {
		t.Fatalf("%s enabled after its verify failed; it must stay drained", host)
	}
	ledger := filepath.Join(f.state, "push", "drained", host)
	if _, err := os.Stat(ledger); err != nil {
		t.Fatalf("push does not remember it left %s drained: %v", host, err)
	}

	if _, err := run(ctx, f.lab, "lab-gw", unblock); err != nil {
		t.Fatal(err)
	}
	blocked = false
	from = len(f.double.Log())
	code, rep = f.start(t, ctx, inv, "--limit", host).wait()
	if code != 0 || rep.Hosts[0].State != "done" {
		t.Fatalf("rerun: exit %d, %+v; want 0 and %s done", code, rep.Hosts, host)
	}
	if got := updates(f.double.Log(), from); len(got) != 1 || !*got[0].Enabled || got[0].ServerID != "srv-"+host {
		t.Fatalf("rerun's update_server calls %v, want only %s enabled", got, host)
	}
	if _, err := os.Stat(ledger); !os.IsNotExist(err) {
		t.Fatalf("the rerun undrained %s but push still remembers it drained (%v)", host, err)
	}
	if got, err := ipRange(ctx, f.lab, host); err != nil || got != ranges[28][1] {
		t.Fatalf("%s: z_vlan150 ip-range %q (%v), want %s", host, got, err, ranges[28][1])
	}
}

// updates are the update_server calls of log from index from.
func updates(log []kasmdouble.Request, from int) []kasmdouble.Request {
	var out []kasmdouble.Request
	for _, q := range log[from:] {
		if q.Path == "/api/admin/update_server" && q.Enabled != nil {
			out = append(out, q)
		}
	}
	return out
}

func count(m map[string]bool, v bool) int {
	n := 0
	for _, x := range m {
		if x == v {
			n++
		}
	}
	return n
}

// when is the time of the update_server call setting agent's enabled.
func when(log []kasmdouble.Request, agent string, enabled bool) time.Time {
	for _, q := range log {
		if q.ServerID == "srv-"+agent && *q.Enabled == enabled {
			return q.Time
		}
	}
	return time.Time{}
}

func (r *pushRun) step(host, step string) time.Time {
	for _, e := range r.hostEvents(host) {
		if e.Kind == "step" && e.Step == step {
			return e.Time
		}
	}
	r.t.Fatalf("%s never entered %q", host, step)
	return time.Time{}
}

// stepAfter is when host entered step after it entered prev.
func (r *pushRun) stepAfter(host, step, prev string) time.Time {
	seen := false
	for _, e := range r.hostEvents(host) {
		seen = seen || e.Kind == "step" && e.Step == prev
		if seen && e.Kind == "step" && e.Step == step {
			return e.Time
		}
	}
	r.t.Fatalf("%s never entered %q after %q", host, step, prev)
	return time.Time{}
}

func (r *pushRun) hostStart(host string) time.Time { return r.kind(host, "host-start") }
func (r *pushRun) end(host string) time.Time       { return r.kind(host, "host-end") }

func (r *pushRun) kind(host, kind string) time.Time {
	for _, e := range r.hostEvents(host) {
		if e.Kind == kind {
			return e.Time
		}
	}
	r.t.Fatalf("no %s event for %s", kind, host)
	return time.Time{}
}

func stepTimer(t *testing.T) func(string) {
	last := time.Now()
	return func(what string) {
		t.Logf("STEP %-45s %6.1fs", what, time.Since(last).Seconds())
		last = time.Now()
	}
}

// forceDisconnect: a session that never ends on the third agent, and
// --force-disconnect: the agent is disabled, the session is disconnected
// from z_vlan150 (the container keeps running) with no wait, the change
// lands, the agent is enabled again.
func forceDisconnect(t *testing.T, ctx context.Context, f *fleet, agents []string) {
	host := agents[2]
	if err := f.startSessions(ctx, host, "kept"); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := f.endSessions(ctx, host, "kept"); err != nil {
			t.Error(err)
		}
	}()
	from := len(f.double.Log())
	r := f.start(t, ctx, f.inventory(t, 28), "--limit", host, "--force-disconnect")
	code, rep := r.wait()
	if code != 0 || rep.Hosts[0].State != "done" {
		t.Fatalf("exit %d, %+v; want 0 and %s done", code, rep.Hosts, host)
	}
	for _, e := range r.hostEvents(host) {
		if e.Step == "drain wait" {
			t.Fatal("push waited for the session; --force-disconnect disconnects it instead")
		}
	}
	if got := updates(f.double.Log(), from); len(got) != 2 || *got[0].Enabled || !*got[1].Enabled {
		t.Fatalf("update_server calls %v, want %s disabled then enabled", got, host)
	}
	if got, err := ipRange(ctx, f.lab, host); err != nil || got != ranges[28][2] {
		t.Fatalf("%s: z_vlan150 ip-range %q (%v), want %s", host, got, err, ranges[28][2])
	}
	out, err := run(ctx, f.lab, host, "docker inspect -f '{{.State.Running}} {{range $n, $_ := .NetworkSettings.Networks}}{{$n}} {{end}}' kept")
	if err != nil || strings.TrimSpace(out) != "true" {
		t.Fatalf("the forced session: %q (%v); want it running, on no network", out, err)
	}
}
