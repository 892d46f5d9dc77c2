package playbooks

import (
	"context"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kasmfleet/push/examples/lab/kasmdouble"
	"github.com/kasmfleet/push/remote/kasm"
	"github.com/kasmfleet/push/remote/proto"
	"github.com/kasmfleet/push/runner"
)

// These tests drain through push's Kasm client against the contract
// double (not Kasm); the helper is a table of each host's sessions.

// sessionFleet answers the helper's plan and apply from each host's
// sessions: a plan refuses the network change while sessions remain
// (naming them as busy), an apply with sessions fails as the helper's
// refusal would. Users log out once their agent is disabled in the double
// (unless stuck), as they would with no new sessions coming.
type sessionFleet struct {
	mu        sync.Mutex
	double    *kasmdouble.Double
	sessions  map[string][]string
	stuck     map[string]bool // sessions that never end
	failApply map[string]bool
	force     bool // --force-disconnect
	timeline  []string
	runs      int // helper runs, plans included
	ledger    ledger
	waits     []int // how long each plan asked the helper to wait for sessions
	// ctx is the job's (Background when nil); with cancelOnWait, a plan
	// that would wait for sessions cancels it instead, as Ctrl-C would.
	ctx          context.Context
	cancelOnWait context.CancelFunc
}

// ledger is an in-memory playbooks.Ledger.
type ledger map[string]bool

func (l ledger) Drained(host string) bool { return l[host] }

func (l ledger) Mark(host string, drained bool) error {
	l[host] = drained
	return nil
}

func (f *sessionFleet) log(s string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.timeline = append(f.timeline, s)
}

func (f *sessionFleet) Helper(ctx context.Context, h Host, req proto.Request, _ func(string)) (proto.Result, int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if req.Verb == proto.VerbPlan {
		f.waits = append(f.waits, req.Options.WaitForSessions)
		if req.Options.WaitForSessions > 0 && f.cancelOnWait != nil {
			f.cancelOnWait()
			return proto.Result{}, 0, ctx.Err()
		}
	}
	if !f.double.Enabled(h.Name) && !f.stuck[h.Name] {
		for _, s := range f.sessions[h.Name] {
			f.double.EndSession(h.Name, s)
		}
		f.sessions[h.Name] = nil
	}
	busy := f.sessions[h.Name]
	a := proto.Action{Kind: proto.ActReplaceNetwork, Target: "z_vlan150", Summary: "replace z_vlan150", Outcome: proto.OutcomePending}
	if len(busy) > 0 {
		a.Outcome, a.Error, a.Busy = proto.OutcomeRefused, "containers attached", busy
	}
	if len(busy) > 0 && req.Options.ForceDisconnect {
		a.Outcome, a.Error = proto.OutcomePending, ""
	}
	f.runs++
	if req.Verb == proto.VerbPlan {
		return proto.Result{Agent: h.Name, Actions: []proto.Action{a}}, proto.ExitChanges, nil
	}
	if req.Options.UnlessBusy && len(busy) > 0 {
		return proto.Result{Agent: h.Name, Actions: []proto.Action{a}, Error: "sessions block this change", Code: proto.CodeBusy}, proto.ExitFailed, nil
	}
	f.timeline = append(f.timeline, "apply "+h.Name+" with "+strings.Join(busy, ",")+" sessions")
	if a.Outcome == proto.OutcomePending && len(busy) > 0 {
		f.timeline = append(f.timeline, "disconnect "+strings.Join(busy, ","))
		f.sessions[h.Name] = nil
	}
	if a.Outcome == proto.OutcomePending && !f.failApply[h.Name] {
		a.Outcome = proto.OutcomeDone
		return proto.Result{Agent: h.Name, Actions: []proto.Action{a}}, proto.ExitOK, nil
	}
	if a.Outcome == proto.OutcomePending {
		a.Outcome, a.Error = proto.OutcomeFailed, "docker: boom"
	}
	return proto.Result{Agent: h.Name, Actions: []proto.Action{a}}, proto.ExitFailed, nil
}

// kasmDrainer drains through the Kasm client, logging to the timeline.
type kasmDrainer struct {
	c *kasm.Client
	f *sessionFleet
}

func (d kasmDrainer) Drain(ctx context.Context, h Host) error {
	d.f.log("disable " + h.Name)
	return d.c.Disable(ctx, h.Name)
}

func (d kasmDrainer) Undrain(ctx context.Context, h Host) error {
	d.f.log("enable " + h.Name)
	return d.c.Enable(ctx, h.Name)
}

// drainJob plays apply over hosts (one session each, "<host>-s1"), one
// host per batch, draining through Kasm's API in the contract double.
func drainJob(t *testing.T, f *sessionFleet, timeout time.Duration, hosts ...string) runner.Summary {
	t.Helper()
	f.double = kasmdouble.Start()
	t.Cleanup(f.double.Close)
	c, err := kasm.New(kasm.Config{URL: f.double.URL, Username: kasmdouble.Username, Password: kasmdouble.Password, CAFile: caFile(t, f.double)})
	if err != nil {
		t.Fatal(err)
	}
	f.sessions = map[string][]string{}
	var hs []Host
	for _, h := range hosts {
		f.double.AddAgent(h)
		f.double.AddSession(h, h+"-s1", "user")
		f.sessions[h] = []string{h + "-s1"}
		hs = append(hs, Host{Name: h})
	}
	d := &Drain{Drainer: kasmDrainer{c: c, f: f}, Timeout: timeout, Wait: 20 * time.Second, Poll: time.Millisecond}
	if f.ledger != nil {
		d.Ledger = f.ledger
	}
	j := Job{Mode: ModeApply, Hosts: hs, Transport: f, Drain: d, Run: RunOptions{ForceDisconnect: f.force},
		Options: runner.Options{Forks: 1, Batches: []runner.Size{{N: 1}}, MaxFailures: runner.Size{N: len(hosts)}}}
	if f.ctx == nil {
		f.ctx = context.Background()
	}
	return j.Go(f.ctx)
}

// caFile writes the double's CA where the client reads it.
func caFile(t *testing.T, d *kasmdouble.Double) string {
	t.Helper()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: d.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	return ca
}

// maxDisabled replays the double's request log: the most agents disabled
// at once.
func maxDisabled(d *kasmdouble.Double) int {
	disabled, most := map[string]bool{}, 0
	for _, r := range d.Log() {
		if r.Enabled != nil {
			disabled[r.ServerID] = !*r.Enabled
		}
		n := 0
		for _, off := range disabled {
			if off {
				n++
			}
		}
		most = max(most, n)
	}
	return most
}

// A rolling change, one host per batch: each host is disabled, changed
// only once its sessions are gone, and enabled again before the next.
func TestDrainRolling(t *testing.T) {
	f := &sessionFleet{}
	sum := drainJob(t, f, time.Hour, "a1", "a2", "a3")
	if err := sum.Err(); err != nil {
		t.Fatal(err)
	}
	want := "disable a1|apply a1 with  sessions|enable a1|disable a2|apply a2 with  sessions|enable a2|disable a3|apply a3 with  sessions|enable a3"
	if got := strings.Join(f.timeline, "|"); got != want {
		t.Fatalf("timeline:\n got %s\nwant %s", got, want)
	}
	if n := maxDisabled(f.double); n != 1 {
		t.Fatalf("at most %d agents disabled at once; batch 1 allows 1", n)
	}
	for _, h := range []string{"a1", "a2", "a3"} {
		if !f.double.Enabled(h) {
			t.Errorf("%s ends disabled", h)
		}
	}
	// One plan per drained host, and each waits on the host (Drain.Wait).
	if got := fmt.Sprint(f.waits); got != "[20 20 20]" {
		t.Fatalf("plans asked the helper to wait %s seconds; want [20 20 20]", got)
	}
}

// Ctrl-C while the helper waits on the host for sessions to end: the
// host is reported unchanged, and enabled again.
func TestDrainInterruptedWhileHelperWaits(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := &sessionFleet{stuck: map[string]bool{"a1": true}, ctx: ctx, cancelOnWait: cancel}
	err := drainJob(t, f, time.Hour, "a1").Hosts[0].Err
	if err == nil || !strings.Contains(err.Error(), "interrupted while 1 sessions remain; left unchanged") {
		t.Fatalf("a1: %v", err)
	}
	if got := strings.Join(f.timeline, "|"); got != "disable a1|enable a1" {
		t.Fatalf("timeline %s; want disable, then enable, and no apply", got)
	}
}

// A host with sessions that never end is reported, left unchanged and
// enabled again; the others go on.
func TestDrainTimeout(t *testing.T) {
	f := &sessionFleet{stuck: map[string]bool{"a1": true}}
	sum := drainJob(t, f, 0, "a1", "a2")
	got := strings.Join(f.timeline, "|")
	if want := "disable a1|enable a1|disable a2|apply a2 with  sessions|enable a2"; got != want {
		t.Fatalf("timeline:\n got %s\nwant %s (a1 never applied)", got, want)
	}
	err := sum.Hosts[0].Err
	if err == nil || !strings.Contains(err.Error(), "drain timed out, 1 sessions remain: a1-s1; left unchanged") {
		t.Fatalf("a1: %v", err)
	}
	if !f.double.Enabled("a1") || !f.double.Enabled("a2") {
		t.Fatal("every agent must end enabled")
	}
	// Past the deadline, the helper is asked without waiting.
	if got := fmt.Sprint(f.waits); got != "[0 0]" {
		t.Fatalf("plans asked the helper to wait %s seconds; want [0 0]", got)
	}
}

// A host whose apply fails after the drain stays drained, and says so.
func TestDrainApplyFailsStaysDrained(t *testing.T) {
	f := &sessionFleet{failApply: map[string]bool{"a1": true}}
	sum := drainJob(t, f, time.Hour, "a1")
	err := sum.Hosts[0].Err
	if err == nil || !strings.Contains(err.Error(), "stays drained") {
		t.Fatalf("a1: %v; want a failure saying it stays drained", err)
	}
	if f.double.Enabled("a1") {
		t.Fatal("a1 was enabled after a failed apply")
	}
}

// A rerun finishes a host an earlier run left drained, and undrains it,
// though no session blocks it any more.
func TestRerunUndrainsWhatWasLeft(t *testing.T) {
	f := &sessionFleet{failApply: map[string]bool{"a1": true}, ledger: ledger{}}
	drainJob(t, f, time.Hour, "a1")
	if !f.ledger["a1"] {
		t.Fatal("the ledger forgot the drained a1")
	}
	c, err := kasm.New(kasm.Config{URL: f.double.URL, Username: kasmdouble.Username, Password: kasmdouble.Password, CAFile: caFile(t, f.double)})
	if err != nil {
		t.Fatal(err)
	}
	f.failApply, f.timeline = nil, nil
	j := Job{Mode: ModeApply, Hosts: []Host{{Name: "a1"}}, Transport: f,
		Drain: &Drain{Drainer: kasmDrainer{c: c, f: f}, Timeout: time.Hour, Poll: time.Millisecond, Ledger: f.ledger}}
	if err := j.Go(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(f.timeline, "|"); got != "apply a1 with  sessions|enable a1" {
		t.Fatalf("rerun timeline %s; want apply then enable, no second disable", got)
	}
	if !f.double.Enabled("a1") || f.ledger["a1"] {
		t.Fatal("a1 must end enabled and forgotten")
	}
}

// A host whose change blocks on no session is not drained.
func TestNoDrainWithoutSessions(t *testing.T) {
	f := &sessionFleet{}
	f.double = kasmdouble.Start()
	t.Cleanup(f.double.Close)
	f.double.AddAgent("a1")
	f.sessions = map[string][]string{}
	j := Job{Mode: ModeApply, Hosts: []Host{{Name: "a1"}}, Transport: f,
		Drain: &Drain{Drainer: kasmDrainer{f: f}, Timeout: time.Hour, Poll: time.Millisecond}}
	if err := j.Go(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(f.timeline, "|"); got != "apply a1 with  sessions" || f.runs != 1 {
		t.Fatalf("timeline %s after %d helper runs; want the apply alone, in one run", got, f.runs)
	}
}

// With drain = "none" nothing is told; a session that never ends times
// the host out, unchanged, and nothing claims it stays drained.
func TestWaitOnlyTimesOut(t *testing.T) {
	f := &sessionFleet{stuck: map[string]bool{"a1": true}}
	f.double = kasmdouble.Start()
	t.Cleanup(f.double.Close)
	f.double.AddAgent("a1")
	f.sessions = map[string][]string{"a1": {"a1-s1"}}
	j := Job{Mode: ModeApply, Hosts: []Host{{Name: "a1"}}, Transport: f, Drain: &Drain{Poll: time.Millisecond}}
	err := j.Go(context.Background()).Hosts[0].Err
	if err == nil || !strings.Contains(err.Error(), "drain timed out, 1 sessions remain: a1-s1; left unchanged") {
		t.Fatalf("a1: %v", err)
	}
	if len(f.timeline) != 0 || len(f.double.Log()) != 0 {
		t.Fatalf("timeline %q, %d Kasm requests; want no apply and no Kasm call", f.timeline, len(f.double.Log()))
	}
}

// --force-disconnect: a host with sessions that never end is drained,
// its sessions disconnected by the apply with no wait (a timeout of 0
// would time a wait out), and enabled again.
func TestForceDisconnect(t *testing.T) {
	f := &sessionFleet{stuck: map[string]bool{"a1": true}, force: true}
	sum := drainJob(t, f, 0, "a1")
	if err := sum.Err(); err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(f.timeline, "|"), "disable a1|apply a1 with a1-s1 sessions|disconnect a1-s1|enable a1"; got != want {
		t.Fatalf("timeline:\n got %s\nwant %s", got, want)
	}
	if !f.double.Enabled("a1") {
		t.Fatal("a1 ends disabled")
	}
}

// Without --force-disconnect the request never asks the helper to
// disconnect anything.
func TestForceDisconnectNeverDefault(t *testing.T) {
	h := Host{Name: "a1"}
	for _, mode := range []Mode{ModePlan, ModeApply, ModeCheck} {
		if Request(mode, h, RunOptions{}).Options.ForceDisconnect {
			t.Fatalf("%s asks to force-disconnect by default", mode)
		}
	}
	if !Request(ModeApply, h, RunOptions{ForceDisconnect: true}).Options.ForceDisconnect {
		t.Fatal("apply with ForceDisconnect does not ask the helper")
	}
}
