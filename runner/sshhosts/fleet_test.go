package sshhosts

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/kasmfleet/push/examples/lab/needs"
	"github.com/kasmfleet/push/examples/lab/sshfleet"
	"github.com/kasmfleet/push/playbooks"
	"github.com/kasmfleet/push/remote/helperbin"
	"github.com/kasmfleet/push/remote/proto"
	"github.com/kasmfleet/push/remote/ssh"
	"github.com/kasmfleet/push/runner"
)

// These tests run the real runner, SSH transport and helper against real
// OpenSSH servers, each in its own network namespace. They use only the
// helper's read-only plan verb: the fleet's servers share this machine's
// /etc, so nothing may be applied there.

func fleetHosts(f *sshfleet.Fleet) []playbooks.Host {
	var out []playbooks.Host
	for _, h := range f.Hosts() {
		out = append(out, playbooks.Host{Name: h.Name,
			Conn: playbooks.Connection{Address: h.Addr, Port: h.Port, User: "root",
				IdentityFile: f.KeyPath(), KnownHosts: f.KnownHostsPath()},
			Spec: proto.HostSpec{Agent: h.Name}})
	}
	return out
}

func newTransport(t *testing.T, o ssh.Options) *Transport {
	t.Helper()
	if len(helperbin.Arches()) == 0 {
		needs.Skip(t, "no embedded helper: run `make helpers` first")
	}
	o.AgentSocket, o.SSHConfigPath = "none", "none"
	tr, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr
}

func TestPlanAcrossFleet(t *testing.T) {
	needs.NotShort(t)
	const n = 60
	f := sshfleet.StartT(t, n, sshfleet.Options{})
	tr := newTransport(t, ssh.Options{})
	job := playbooks.Job{Mode: playbooks.ModePlan, Hosts: fleetHosts(f), Transport: tr,
		Options: runner.Options{Forks: 30, MaxFailures: runner.Size{N: 0}}}

	rep := job.Go(context.Background())
	if err := rep.Err(); err != nil || rep.Count(runner.StateDone) != n {
		t.Fatalf("first plan: %d done, err %v", rep.Count(runner.StateDone), err)
	}
	for _, h := range rep.Hosts {
		if h.Exit != proto.ExitChanges || h.Result == nil || len(playbooks.Pending(*h.Result)) == 0 || h.Result.Agent != h.Host {
			t.Fatalf("%s: exit %d, result %+v; want pending changes", h.Host, h.Exit, h.Result)
		}
	}
	first := tr.Stats()
	if first.Connections != n || first.BytesUploaded == 0 {
		t.Fatalf("first run stats %+v: want %d connections and an upload", first, n)
	}
	// First contact sends the gzipped helper (issue 19: at most 3 MB per
	// host on the wire, SSH's framing included; see docs/benchmarks.md).
	if per := first.BytesUploaded / n; per > 2_500_000 {
		t.Errorf("first contact sent %d helper bytes per host, want at most 2.5 MB", per)
	}

	// The helper is there now: one connection, one exec, no upload per host.
	rep = job.Go(context.Background())
	second := tr.Stats()
	if rep.Err() != nil {
		t.Fatal(rep.Err())
	}
	if d := second.Connections - first.Connections; d != n {
		t.Errorf("second run opened %d connections for %d hosts", d, n)
	}
	if d := second.Execs - first.Execs; d != n {
		t.Errorf("second run ran %d execs for %d hosts; want one each", d, n)
	}
	if second.BytesUploaded != first.BytesUploaded {
		t.Errorf("second run uploaded %d bytes", second.BytesUploaded-first.BytesUploaded)
	}
}

// TestFailureBudgetOnRealHosts stops some servers: their hosts fail at
// connect, and the rollout stops once more than max_failures have failed.
func TestFailureBudgetOnRealHosts(t *testing.T) {
	needs.NotShort(t)
	f := sshfleet.StartT(t, 12, sshfleet.Options{})
	for _, i := range []int{2, 5, 6} {
		f.Stop(i)
	}
	tr := newTransport(t, ssh.Options{DialTimeout: 2 * time.Second})
	hosts := fleetHosts(f)
	job := playbooks.Job{Mode: playbooks.ModePlan, Hosts: hosts, Transport: tr,
		Options: runner.Options{Forks: 1, Batches: []runner.Size{{N: 1}, {N: 3}}, MaxFailures: runner.Size{N: 1}}}
	s := job.Go(context.Background())
	// batches [0] [1 2 3] [4 5 6] [7 8 9] [10 11]: 2 fails (1 ≤ budget), 5
	// fails (2 > 1): 6 and everything after are never started.
	want := map[runner.State]int{runner.StateDone: 4, runner.StateFailed: 2, runner.StateNotStarted: 6}
	for st, n := range want {
		if s.Count(st) != n {
			t.Errorf("%s: %d hosts, want %d (%+v)", st, s.Count(st), n, s.Hosts)
		}
	}
	var he *runner.HostError
	if err := s.Hosts[2].Err; !errors.As(err, &he) || he.Step != "connect" {
		t.Errorf("host 2 error %v: want a HostError at connect", err)
	}
	if s.Stopped == "" {
		t.Error("the run did not say why it stopped")
	}
}

// TestStalledHostTimesOut pauses a server mid-fleet: that host fails
// within the timeout and every other host still finishes.
func TestStalledHostTimesOut(t *testing.T) {
	needs.NotShort(t)
	f := sshfleet.StartT(t, 8, sshfleet.Options{})
	f.Pause(3)
	t.Cleanup(func() { f.Resume(3) })
	tr := newTransport(t, ssh.Options{DialTimeout: 2 * time.Second, HandshakeTimeout: 3 * time.Second, OpTimeout: 10 * time.Second})
	job := playbooks.Job{Mode: playbooks.ModePlan, Hosts: fleetHosts(f), Transport: tr,
		Options: runner.Options{MaxFailures: runner.Size{N: 100, Percent: true}}}
	began := time.Now()
	s := job.Go(context.Background())
	if took := time.Since(began); took > 40*time.Second {
		t.Errorf("a stalled host held the run for %v", took)
	}
	if s.Count(runner.StateDone) != 7 || s.Hosts[3].State != runner.StateFailed {
		t.Errorf("states: %s", states(s))
	}
}

func states(s runner.Summary) string {
	out := ""
	for _, h := range s.Hosts {
		out += fmt.Sprintf("%s=%s ", h.Host, h.State)
	}
	return out
}
