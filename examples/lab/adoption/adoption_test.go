package adoption

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kasmfleet/push/examples/lab/handbuilt"
	"github.com/kasmfleet/push/examples/lab/labenv"
	"github.com/kasmfleet/push/examples/lab/needs"
	"github.com/kasmfleet/push/remote/proto"
)

// sessions are the containers a hand-built agent runs, one per network,
// and the source address each must see: its own on a VLAN, the SNAT
// address on the egress network, the agent's LAN address (Docker's
// masquerade) on the enclave network.
func sessions(a labenv.Agent) ([]handbuilt.Session, map[string]string) {
	ss := []handbuilt.Session{
		{Network: "z_vlan150", URL: "http://192.0.2.1:8080/"},
		{Network: "z_vlan160", URL: "http://192.0.2.129:8080/"},
		{Network: "z_custom_a", URL: "http://198.51.100.1:8080/"},
		{Network: "z_enclave_2", URL: "http://198.51.100.1:8080/"},
	}
	return ss, map[string]string{"z_custom_a": a.ExtraAddr, "z_enclave_2": a.LANAddr}
}

// TestAdoptSeedBuiltAgent builds kasm-agent-1 (Debian 12, Docker 20.10,
// ifupdown, root) with the procedures' commands, with a session on every
// network, and brings it under push.
func TestAdoptSeedBuiltAgent(t *testing.T) {
	adoptSeedBuilt(t, "kasm-agent-1", 0, nil)
}

// TestAdoptSeedBuiltAgentTrixie does the same on kasm-agent-4 (Debian 13,
// Docker 26, NetworkManager, admin through sudo), where the procedures
// leave the trunk NIC unpersisted (no /etc/network/interfaces): push
// persists it through NetworkManager beside the adoptions.
func TestAdoptSeedBuiltAgentTrixie(t *testing.T) {
	adoptSeedBuilt(t, "kasm-agent-4", 3, []string{"persist-trunk /etc/NetworkManager/system-connections/push-trunk.nmconnection"})
}

// adoptSeedBuilt builds agent by hand on slot and adopts it; extra are
// the kinds push plans beside the adoptions and its bookkeeping.
func adoptSeedBuilt(t *testing.T, name string, slot int, extra []string) {
	needs.NotShort(t)
	lab := labenv.Require(t)
	ctx := context.Background()
	a := labAgent(t, lab, name)
	step := stepTimer(t)
	unbuild(t, lab, a.Name)

	subnets, err := handbuilt.Build(ctx, lab, handbuilt.Agent{Name: a.Name, Slot: slot, SourceIP: a.ExtraAddr, Enclave: true})
	if err != nil {
		t.Fatal(err)
	}
	ss, want := sessions(a)
	if err := handbuilt.Start(ctx, lab, a.Name, ss); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, lab, a.Name)
	for _, s := range ss {
		if want[s.Network] == "" {
			want[s.Network] = before.containers[s.Network].IP
		}
	}
	sess := newSessions(lab, a.Name, ss, want)
	sess.waitGood(t, 0)
	step("built by hand from the procedures, 4 sessions answering")

	inv := writeInventory(t, lab, invData{EgressSubnet: subnets["z_custom_a"],
		Agents: []invAgent{{Name: a.Name, Port: port(a), User: a.User, Slot: slot, SourceIP: a.ExtraAddr}}})

	// plan: only adoptions, besides push's own boot unit and state.
	r := push(t, "plan", "--json", inv)
	if r.code != 2 {
		t.Fatalf("plan: exit %d, want 2 (changes pending)", r.code)
	}
	kinds := actionKinds(decodeReport(t, r))
	wantKinds := []string{"adopt-network z_custom_a", "adopt-network z_enclave_2", "adopt-network z_vlan150", "adopt-network z_vlan160",
		"adopt-snat hand SNAT " + subnets["z_custom_a"] + " iptables-nft", "install-unit push-restore.service", "write-state /var/lib/push/applied.json"}
	wantKinds = append(wantKinds, extra...)
	slices.Sort(wantKinds)
	if !slices.Equal(kinds, wantKinds) {
		t.Fatalf("plan of a hand-built agent:\n %q\nwant only adoptions and push's bookkeeping:\n %q", kinds, wantKinds)
	}
	step("push plan")

	// apply without --adopt: nothing hand-made is touched; it says how.
	r = push(t, "apply", inv)
	if r.code != 0 || strings.Count(r.out, "not adopted, left as it is: push apply --adopt") != 5 {
		t.Fatalf("apply without --adopt: exit %d, want 0 and 5 objects left alone, saying how to adopt", r.code)
	}
	if out := run(t, lab, a.Name, "iptables -t nat -S POSTROUTING | grep -c -- '-j SNAT'; grep -c SNAT /etc/iptables/rules.v4; ls /var/lib/push/adopted.json 2>&1 | grep -c 'No such'"); strings.Fields(out)[0] != "1" || strings.Fields(out)[1] != "1" || strings.Fields(out)[2] != "1" {
		t.Fatalf("apply without --adopt changed hand-made objects (SNAT rules, rules.v4 lines, no adoption record): %q", out)
	}
	step("push apply (no --adopt): hand-made objects left alone")

	// apply --adopt, with every session probing throughout.
	n0 := sess.counts(t)
	r = push(t, "apply", "--adopt", inv)
	if r.code != 0 || !strings.Contains(r.out, "1 done, 0 failed") {
		t.Fatalf("apply --adopt: exit %d", r.code)
	}
	n1 := sess.counts(t)
	step("push apply --adopt")
	sess.waitGood(t, 2)
	sess.allGood(t, n0, "during and after adoption")
	for _, s := range ss {
		if n1[s.Network] <= n0[s.Network] {
			t.Errorf("session on %s answered nothing while apply --adopt ran", s.Network)
		}
	}
	after := snapshot(t, lab, a.Name)
	before.sameTraffic(t, after)
	if out := run(t, lab, a.Name, "iptables -t nat -S POSTROUTING | grep -c -- '-j SNAT'; grep -c SNAT /etc/iptables/rules.v4; nft list table ip push | grep -c 'snat to "+a.ExtraAddr+"'"); strings.Join(strings.Fields(out), " ") != "0 0 1" {
		t.Errorf("after adoption (hand SNAT rules, rules.v4 SNAT lines, push's rules) = %q, want 0 0 1", out)
	}
	r = push(t, "check", inv)
	if r.code != 0 {
		t.Fatalf("check after adoption: exit %d, want 0", r.code)
	}
	r = push(t, "apply", "--adopt", inv)
	if r.code != 0 || !strings.Contains(r.out, "1 hosts already converged, nothing changed") {
		t.Fatalf("second apply --adopt: exit %d, want nothing changed", r.code)
	}
	step("push check, second apply: in sync, nothing changed")

	// A reboot brings everything back: networks, push's rule, sessions.
	if err := lab.Reboot(ctx, a.Name); err != nil {
		t.Fatal(err)
	}
	waitRestored(t, lab, a.Name)
	step("reboot to push-restore done")
	n2 := sess.counts(t)
	sess.waitGood(t, 3)
	sess.allGood(t, n2, "after the reboot")
	before.sameNetworks(t, snapshot(t, lab, a.Name))
	if r := push(t, "check", inv); r.code != 0 {
		t.Fatalf("check after reboot: exit %d, want 0", r.code)
	}
	if r := push(t, "apply", "--adopt", inv); r.code != 0 || !strings.Contains(r.out, "nothing changed") {
		t.Fatalf("apply after reboot: exit %d, want nothing changed", r.code)
	}
	step("after reboot: sessions good, check 0, apply changes nothing")
}

// TestMixedFleet: two hand-built agents, one of them with an SNAT rule
// to another address than the inventory's, and a greenfield agent. Only
// the conflicting host fails, named with its rule; it is left untouched.
func TestMixedFleet(t *testing.T) {
	needs.NotShort(t)
	lab := labenv.Require(t)
	ctx := context.Background()
	a1, a2, a3 := labAgent(t, lab, "kasm-agent-1"), labAgent(t, lab, "kasm-agent-2"), labAgent(t, lab, "kasm-agent-3")
	step := stepTimer(t)
	unbuild(t, lab, a1.Name, a2.Name, a3.Name)
	// The fleet shares one egress subnet, so the admin stated it.
	const egress = "172.19.0.0/16"
	var sub1, sub2 map[string]string
	err := parallel(func() (err error) {
		sub1, err = handbuilt.Build(ctx, lab, handbuilt.Agent{Name: a1.Name, Slot: 0, SourceIP: a1.ExtraAddr, Enclave: true, EgressSubnet: egress})
		return err
	}, func() (err error) {
		// kasm-agent-2 sends its egress out of its LAN address by hand.
		sub2, err = handbuilt.Build(ctx, lab, handbuilt.Agent{Name: a2.Name, Slot: 1, SourceIP: a2.LANAddr, Enclave: true, EgressSubnet: egress})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if sub1["z_custom_a"] != egress || sub2["z_custom_a"] != egress {
		t.Fatalf("z_custom_a has subnets %s and %s, want %s", sub1["z_custom_a"], sub2["z_custom_a"], egress)
	}
	step("two agents built by hand")
	inv := writeInventory(t, lab, invData{Adopt: true, EgressSubnet: egress, Agents: []invAgent{
		{Name: a1.Name, Port: port(a1), Slot: 0, SourceIP: a1.ExtraAddr},
		{Name: a2.Name, Port: port(a2), Slot: 1, SourceIP: a2.ExtraAddr},
		{Name: a3.Name, Port: port(a3), Slot: 2, SourceIP: a3.ExtraAddr},
	}})

	// plan already fails the conflicting host (apply would refuse it).
	r := push(t, "plan", inv)
	if r.code != 1 || !strings.Contains(r.out, "kasm-agent-2: FAILED") || !strings.Contains(r.out, "conflict: hand-made SNAT of "+egress+" to "+a2.LANAddr+", the spec says "+a2.ExtraAddr) {
		t.Fatalf("plan: exit %d, want the conflict on %s named", r.code, a2.Name)
	}
	r = push(t, "apply", "--json", inv)
	if r.code != 1 {
		t.Fatalf("apply of the mixed fleet: exit %d, want 1", r.code)
	}
	for _, h := range decodeReport(t, r).Hosts {
		switch h.Name {
		case a2.Name:
			if h.State != "failed" || !strings.Contains(h.Error, "conflicting hand-made SNAT rule") ||
				!strings.Contains(h.Error, "--to-source "+a2.LANAddr) || !strings.Contains(h.Error, "/etc/iptables/rules.v4") {
				t.Errorf("%s: %s, %q; want failed, naming the rule and its boot copy", h.Name, h.State, h.Error)
			}
		default:
			if h.State != "done" {
				t.Errorf("%s: %s (%s), want done", h.Name, h.State, h.Error)
			}
		}
	}
	// The refused host is as the admin left it.
	out := run(t, lab, a2.Name, "iptables -t nat -S POSTROUTING | grep -c -- '--to-source "+a2.LANAddr+"'; "+
		"ls /var/lib/push/applied.json /var/lib/push/adopted.json 2>&1 | grep -c 'No such'; nft list table ip push >/dev/null 2>&1 && echo table || echo notable")
	if got := strings.Join(strings.Fields(out), " "); got != "1 2 notable" {
		t.Errorf("%s after the refused apply (hand rule, missing push state files, push's table) = %q, want 1 2 notable", a2.Name, got)
	}
	step("mixed apply: " + a2.Name + " alone refused")
}

// stepTimer logs how long each step took, for the report.
func stepTimer(t *testing.T) func(string) {
	last := time.Now()
	return func(what string) {
		t.Logf("STEP %-60s %6.1fs", what, time.Since(last).Seconds())
		last = time.Now()
	}
}

// unbuild resets the agents now and when the test ends, all at once.
func unbuild(t *testing.T, lab *labenv.Lab, agents ...string) {
	t.Helper()
	each := func(fn func(string) error) error {
		fns := make([]func() error, len(agents))
		for i, a := range agents {
			fns[i] = func() error { return fn(a) }
		}
		return parallel(fns...)
	}
	reset := func(a string) error { return handbuilt.Unbuild(context.Background(), lab, a) }
	if err := each(reset); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := each(reset); err != nil {
			t.Errorf("clean up: %v", err)
		}
	})
}

// parallel runs fns at once and joins their errors: the agents are
// separate VMs, so building or resetting them one after the other only
// adds up their waits.
func parallel(fns ...func() error) error {
	errs := make([]error, len(fns))
	var wg sync.WaitGroup
	for i, fn := range fns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = fn()
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func run(t *testing.T, lab *labenv.Lab, agent, cmd string) string {
	t.Helper()
	out, err := lab.Run(context.Background(), agent, cmd)
	if err != nil {
		t.Fatalf("%s: %s: %v: %s", agent, cmd, err, out)
	}
	return out
}

// actionKinds lists "kind target" of every pending action, sorted.
func actionKinds(rep report) []string {
	var out []string
	for _, h := range rep.Hosts {
		if h.Result == nil {
			continue
		}
		for _, a := range h.Result.Actions {
			if a.Outcome == proto.OutcomePending {
				out = append(out, string(a.Kind)+" "+a.Target)
			}
		}
	}
	slices.Sort(out)
	return out
}

// waitRestored waits until push's boot unit has run after a reboot.
func waitRestored(t *testing.T, lab *labenv.Lab, agent string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Minute)
	for {
		out, _ := lab.Run(context.Background(), agent, "systemctl is-active push-restore.service")
		switch strings.TrimSpace(out) {
		case "active":
			return
		case "failed":
			t.Fatalf("%s: push-restore.service failed: %s", agent, run(t, lab, agent, "journalctl -u push-restore.service --no-pager | tail -20"))
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: push-restore.service not active 5 minutes after boot: %q", agent, out)
		}
		time.Sleep(2 * time.Second)
	}
}

// hostState is what carries traffic on an agent: network and container
// IDs, container addresses, VLAN links.
type hostState struct {
	networks   map[string]string // name → ID
	containers map[string]handbuilt.Container
	links      string
}

func snapshot(t *testing.T, lab *labenv.Lab, agent string) hostState {
	t.Helper()
	s := hostState{networks: map[string]string{}, containers: map[string]handbuilt.Container{}}
	for _, l := range strings.Split(strings.TrimSpace(run(t, lab, agent, "docker network ls --no-trunc --format '{{.Name}} {{.ID}}' | grep ^z_")), "\n") {
		if f := strings.Fields(l); len(f) == 2 {
			s.networks[f[0]] = f[1]
		}
	}
	ss, _ := sessions(labenv.Agent{})
	for _, x := range ss {
		if c, err := handbuilt.Inspect(context.Background(), lab, agent, x); err == nil {
			s.containers[x.Network] = c
		}
	}
	s.links = run(t, lab, agent, "ip -br link show | awk '{print $1}' | grep '^eth1' | sort | tr '\\n' ' '")
	return s
}

// sameTraffic: the same networks, containers with the same addresses.
func (s hostState) sameTraffic(t *testing.T, after hostState) {
	t.Helper()
	s.sameNetworks(t, after)
	if fmt.Sprint(s.containers) != fmt.Sprint(after.containers) {
		t.Errorf("containers changed:\n before %v\n after  %v", s.containers, after.containers)
	}
	if s.links != after.links {
		t.Errorf("eth1 links changed: %q → %q", s.links, after.links)
	}
}

func (s hostState) sameNetworks(t *testing.T, after hostState) {
	t.Helper()
	if fmt.Sprint(s.networks) != fmt.Sprint(after.networks) {
		t.Errorf("Docker networks changed:\n before %v\n after  %v", s.networks, after.networks)
	}
}

// sessionSet reads the sessions' egress logs.
type sessionSet struct {
	lab   *labenv.Lab
	agent string
	ss    []handbuilt.Session
	want  map[string]string
}

func newSessions(lab *labenv.Lab, agent string, ss []handbuilt.Session, want map[string]string) sessionSet {
	return sessionSet{lab, agent, ss, want}
}

func (x sessionSet) answers(t *testing.T) map[string][]handbuilt.Answer {
	t.Helper()
	out := map[string][]handbuilt.Answer{}
	for _, s := range x.ss {
		as, err := handbuilt.Answers(context.Background(), x.lab, x.agent, s)
		if err != nil {
			t.Fatal(err)
		}
		out[s.Network] = as
	}
	return out
}

// counts is how many answers each session has logged so far.
func (x sessionSet) counts(t *testing.T) map[string]int {
	out := map[string]int{}
	for n, as := range x.answers(t) {
		out[n] = len(as)
	}
	return out
}

// waitGood waits until every session has logged more answers than now
// and its newest one is the expected address.
func (x sessionSet) waitGood(t *testing.T, more int) {
	t.Helper()
	start := x.counts(t)
	deadline := time.Now().Add(3 * time.Minute)
	for {
		ok := true
		for n, as := range x.answers(t) {
			ok = ok && len(as) > start[n]+more-1 && len(as) > 0 && as[len(as)-1].Got == x.want[n]
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("sessions did not all answer with their expected source within 3 minutes: %v", x.tails(t))
		}
		time.Sleep(2 * time.Second)
	}
}

// allGood: every answer from index from on is the expected address.
func (x sessionSet) allGood(t *testing.T, from map[string]int, when string) {
	t.Helper()
	for n, as := range x.answers(t) {
		bad := 0
		for _, a := range as[min(from[n], len(as)):] {
			if a.Got != x.want[n] {
				bad++
				t.Errorf("session on %s %s: answer %d at %d was %s, want %s", n, when, a.Seq, a.Time, a.Got, x.want[n])
			}
		}
		t.Logf("session on %s %s: %d answers, %d not %s", n, when, len(as)-from[n], bad, x.want[n])
	}
}

func (x sessionSet) tails(t *testing.T) map[string]string {
	out := map[string]string{}
	for n, as := range x.answers(t) {
		if len(as) > 0 {
			out[n] = fmt.Sprintf("%d answers, last %s (want %s)", len(as), as[len(as)-1].Got, x.want[n])
		}
	}
	return out
}
