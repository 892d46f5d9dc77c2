package helper

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"

	"github.com/kasmfleet/push/examples/lab/nstest"
	"github.com/kasmfleet/push/remote/helper/hostnet"
	"github.com/kasmfleet/push/remote/helper/lock"
	"github.com/kasmfleet/push/remote/helper/netcfg"
	"github.com/kasmfleet/push/remote/proto"
)

func runMain(t *testing.T, cfg Config, args []string, stdin string) (proto.Result, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Main(context.Background(), cfg, args, strings.NewReader(stdin), &out, &errOut)
	var res proto.Result
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("stdout is not one JSON result: %v\n%s", err, out.String())
	}
	if n := bytes.Count(bytes.TrimSpace(out.Bytes()), []byte("\n")); n != 0 {
		t.Fatalf("stdout has %d extra lines:\n%s", n, out.String())
	}
	return res, code
}

func TestMainAlwaysAnswers(t *testing.T) {
	cfg := Config{Version: "test", Root: t.TempDir(), DockerSocket: "/nonexistent/docker.sock"}
	for _, tc := range []struct {
		name     string
		args     []string
		stdin    string
		code     int
		errorHas string
	}{
		{"version verb", []string{"version"}, "", 0, ""},
		{"not json", nil, "{nope", 1, "read request from stdin"},
		{"other protocol version", nil, `{"version":99,"verb":"plan","spec":{}}`, 1, "protocol version 99 is not this helper's version 1"},
		{"unknown verb", nil, `{"version":1,"verb":"explode"}`, 1, `unknown verb "explode"`},
		{"plan without a spec", nil, `{"version":1,"verb":"plan"}`, 1, "plan needs a spec"},
		{"invalid spec", nil, `{"version":1,"verb":"plan","spec":{"vlans":[{"name":"v","driver":"ipvlan","mode":"12","vid":150}]}}`, 1, `mode "12" is not one of`},
		{"restore with nothing applied", []string{"restore"}, "", 1, "nothing applied yet"},
		{"stray arguments", []string{"apply", "now"}, "", 1, "unexpected arguments"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, code := runMain(t, cfg, tc.args, tc.stdin)
			if code != tc.code || !strings.Contains(res.Error, tc.errorHas) || (tc.errorHas == "" && res.Error != "") {
				t.Fatalf("code %d error %q; want code %d error containing %q", code, res.Error, tc.code, tc.errorHas)
			}
			if res.Version != proto.Version {
				t.Errorf("result version %d", res.Version)
			}
		})
	}
	res, _ := runMain(t, cfg, []string{"version"}, "")
	if res.Helper.Version != "test" || len(res.Helper.SHA256) != 64 || res.Helper.GOARCH == "" {
		t.Errorf("version result %+v", res.Helper)
	}
}

// With an end mark (push's run script execs the helper), the result is
// followed by the mark and the exit code, whatever the exit code, so that
// push knows the answer is whole even where a ForceCommand wrapper loses
// the exit status.
func TestMainEndsPushsFrame(t *testing.T) {
	cfg := Config{Version: "test", Root: t.TempDir(), DockerSocket: "/nonexistent/docker.sock", EndMark: "push-0123-end"}
	for _, tc := range []struct {
		args  []string
		stdin string
		tail  string
	}{
		{[]string{"version"}, "", "}\npush-0123-end 0\n"},
		{nil, "{nope", "}\npush-0123-end 1\n"},
		{nil, `{"version":1,"verb":"plan","spec":{"trunk":{"nic":"no-such-nic0"}}}`, "}\npush-0123-end 1\n"},
	} {
		var out bytes.Buffer
		code := Main(context.Background(), cfg, tc.args, strings.NewReader(tc.stdin), &out, io.Discard)
		if !strings.HasSuffix(out.String(), tc.tail) || strings.Count(out.String(), "push-0123-end") != 1 {
			t.Errorf("%v %q: exit %d, stdout\n%s\nwant it to end %q", tc.args, tc.stdin, code, out.String(), tc.tail)
		}
	}
}

// trunkHost is a throwaway namespace with a "trunk" veth holding an
// address and down, and a file tree of an ifupdown host.
func trunkHost(t *testing.T) (Config, *netlink.Handle) {
	ns, h := nstest.New(t)
	v := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "tr0"}, PeerName: "tr0-peer"}
	must(t, h.LinkAdd(v))
	a, _ := netlink.ParseAddr("192.168.77.5/24")
	must(t, h.AddrAdd(v, a))
	up := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "mgmt0"}, PeerName: "mgmt0-peer"}
	must(t, h.LinkAdd(up))
	a, _ = netlink.ParseAddr("10.0.2.15/24")
	must(t, h.AddrAdd(up, a))
	must(t, h.LinkSetUp(up))

	root := t.TempDir()
	for p, content := range map[string]string{
		"/etc/network/interfaces": "source /etc/network/interfaces.d/*\nauto lo\niface lo inet loopback\n",
		"/sbin/ifup":              "",
	} {
		os.MkdirAll(filepath.Join(root, filepath.Dir(p)), 0o755)
		must(t, os.WriteFile(filepath.Join(root, p), []byte(content), 0o644))
	}
	return Config{
		Version: "test", Root: root, DockerSocket: filepath.Join(root, "no-docker.sock"),
		Net: hostnet.Net{Handle: h}, NetNS: int(ns),
		SSHConnection: "10.0.2.2 50000 10.0.2.15 22",
		Run: func(ctx context.Context, name string, args ...string) error {
			t.Errorf("unexpected command %s %v", name, args)
			return nil
		},
	}, h
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func request(verb proto.Verb, spec proto.HostSpec) string {
	b, _ := json.Marshal(proto.Request{Version: proto.Version, Verb: verb, Spec: &spec, Options: proto.Options{Holder: "tester@ci"}})
	return string(b)
}

// TestTrunkApplyInNetns converges a trunk NIC in a throwaway namespace:
// plan shows the changes (exit 2), apply takes them (exit 0), the next
// plan and apply find nothing to do, and restore re-applies from the
// recorded spec. Docker is absent: a spec without networks needs none.
func TestTrunkApplyInNetns(t *testing.T) {
	cfg, h := trunkHost(t)
	spec := proto.HostSpec{Agent: "a1", Trunk: &proto.Trunk{NIC: "tr0"}}

	res, code := runMain(t, cfg, nil, request(proto.VerbPlan, spec))
	if code != proto.ExitChanges || res.Error != "" {
		t.Fatalf("plan: code %d error %q", code, res.Error)
	}
	kinds := map[proto.ActionKind]bool{}
	for _, a := range res.Actions {
		kinds[a.Kind] = a.Outcome == proto.OutcomePending
	}
	for _, k := range []proto.ActionKind{proto.ActPersistTrunk, proto.ActTrunkFlush, proto.ActTrunkUp, proto.ActInstallUnit, proto.ActWriteState} {
		if !kinds[k] {
			t.Errorf("plan lacks a pending %s: %+v", k, res.Actions)
		}
	}
	if res.Facts == nil || res.Facts.NetConfig != "ifupdown" || res.Facts.SSHInterface != "mgmt0" {
		t.Fatalf("facts %+v", res.Facts)
	}

	res, code = runMain(t, cfg, nil, request(proto.VerbApply, spec))
	if code != proto.ExitOK || res.Error != "" {
		t.Fatalf("apply: code %d error %q actions %+v", code, res.Error, res.Actions)
	}
	l, err := h.LinkByName("tr0")
	must(t, err)
	addrs, _ := h.AddrList(l, netlink.FAMILY_V4)
	if len(addrs) != 0 || res.Facts.Trunk == nil || !res.Facts.Trunk.Up || !res.Facts.Trunk.Persisted {
		t.Fatalf("after apply: addresses %v, facts %+v", addrs, res.Facts.Trunk)
	}
	if b, _ := os.ReadFile(filepath.Join(cfg.Root, netcfg.IfUpDownFile)); !strings.Contains(string(b), "iface tr0 inet manual") {
		t.Errorf("%s: %q", netcfg.IfUpDownFile, b)
	}
	if !res.Facts.RestoreUnit {
		t.Error("restore unit not reported installed")
	}

	for _, verb := range []proto.Verb{proto.VerbPlan, proto.VerbApply} {
		res, code = runMain(t, cfg, nil, request(verb, spec))
		if code != proto.ExitOK || len(res.Actions) != 0 {
			t.Fatalf("second %s: code %d, actions %+v, error %q", verb, code, res.Actions, res.Error)
		}
	}

	// Someone puts an address back and takes the link down: restore
	// (the boot unit's verb, no stdin) converges from applied.json.
	a, _ := netlink.ParseAddr("192.168.77.5/24")
	must(t, h.AddrAdd(l, a))
	must(t, h.LinkSetDown(l))
	res, code = runMain(t, cfg, []string{"restore"}, "")
	if code != proto.ExitOK || len(res.Actions) != 2 || res.Agent != "a1" {
		t.Fatalf("restore: code %d actions %+v error %q", code, res.Actions, res.Error)
	}
}

func TestApplyRefusesTheSessionInterface(t *testing.T) {
	cfg, h := trunkHost(t)
	cfg.SSHConnection = "10.9.9.9 50000 192.168.77.5 22" // the session arrives on tr0
	res, code := runMain(t, cfg, nil, request(proto.VerbApply, proto.HostSpec{Trunk: &proto.Trunk{NIC: "tr0"}}))
	if code != proto.ExitFailed || !strings.Contains(res.Error, "trunk NIC tr0 carries the session") || len(res.Actions) != 0 {
		t.Fatalf("apply on the session's NIC: code %d error %q actions %+v", code, res.Error, res.Actions)
	}
	l, _ := h.LinkByName("tr0")
	if addrs, _ := h.AddrList(l, netlink.FAMILY_V4); len(addrs) != 1 {
		t.Fatalf("the session's address was touched: %v", addrs)
	}
}

func TestApplyFailsFastWhenLocked(t *testing.T) {
	cfg, _ := trunkHost(t)
	os.MkdirAll(filepath.Join(cfg.Root, "/run"), 0o755)
	l, err := lock.Acquire(filepath.Join(cfg.Root, lock.DefaultPath), "alice@laptop")
	must(t, err)
	defer l.Release()
	res, code := runMain(t, cfg, nil, request(proto.VerbApply, proto.HostSpec{Trunk: &proto.Trunk{NIC: "tr0"}}))
	if code != proto.ExitFailed || !strings.Contains(res.Error, "holder=alice@laptop") {
		t.Fatalf("apply while locked: code %d error %q", code, res.Error)
	}
}

func TestTrunkByMACMustAgree(t *testing.T) {
	cfg, h := trunkHost(t)
	l, _ := h.LinkByName("mgmt0")
	spec := proto.HostSpec{Trunk: &proto.Trunk{NIC: "tr0", MAC: l.Attrs().HardwareAddr.String()}}
	res, code := runMain(t, cfg, nil, request(proto.VerbPlan, spec))
	if code != proto.ExitFailed || !strings.Contains(res.Error, "belongs to mgmt0") {
		t.Fatalf("plan with disagreeing NIC and MAC: code %d error %q", code, res.Error)
	}
}

// TestRestoreWithoutDocker: at a boot where Docker does not answer,
// restore still brings the trunk up and writes the SNAT table, skips the
// Docker networks saying why, and fails.
func TestRestoreWithoutDocker(t *testing.T) {
	cfg, h := trunkHost(t)
	spec := proto.HostSpec{Agent: "a1", Trunk: &proto.Trunk{NIC: "tr0"},
		Bridges: []proto.BridgeNetwork{{Name: "z_custom_a", Bridge: "z_custom_a", Subnet: "172.19.0.0/16", SourceIP: "10.0.2.15"}}}
	must(t, cfg.state().SaveApplied(spec))

	res, code := runMain(t, cfg, []string{"restore"}, "")
	outcome := map[proto.ActionKind]proto.Outcome{}
	for _, a := range res.Actions {
		outcome[a.Kind] = a.Outcome
		if a.Kind == proto.ActCreateNetwork && !strings.Contains(a.Error, "not attempted: docker:") {
			t.Errorf("network step does not say Docker is why: %+v", a)
		}
	}
	if code != proto.ExitFailed || outcome[proto.ActTrunkUp] != proto.OutcomeDone || outcome[proto.ActAddSNAT] != proto.OutcomeDone ||
		outcome[proto.ActCreateNetwork] != proto.OutcomeSkipped {
		t.Fatalf("restore without Docker: code %d, actions %+v", code, res.Actions)
	}
	l, err := h.LinkByName("tr0")
	must(t, err)
	if l.Attrs().Flags&net.FlagUp == 0 {
		t.Error("trunk left down")
	}
	st, err := cfg.snat().Read()
	must(t, err)
	if want := (proto.SNATRule{Subnet: "172.19.0.0/16", Bridge: "z_custom_a", SourceIP: "10.0.2.15"}); len(st.Rules) != 1 || st.Rules[0] != want {
		t.Errorf("SNAT rules %+v, want %+v", st.Rules, want)
	}
}

// TestInterruptibleOnlyWhenChanging: the verbs that change the host run
// in the context Interruptible gives (push-helper's is cancelled by
// SIGINT and SIGTERM), and stop it when done; read-only verbs do without
// (watching signals costs a thread).
func TestInterruptibleOnlyWhenChanging(t *testing.T) {
	for _, tc := range []struct {
		args  []string
		stdin string
		want  bool
	}{
		{[]string{"version"}, "", false},
		{nil, `{"version":1,"verb":"facts","spec":{}}`, false},
		{nil, `{"version":1,"verb":"plan","spec":{"trunk":{"nic":"no-such-nic0"}}}`, false},
		{nil, `{"version":1,"verb":"apply","spec":{"trunk":{"nic":"no-such-nic0"}}}`, true},
		{nil, `{"version":1,"verb":"verify","spec":{}}`, true},
		{[]string{"restore"}, "", true},
	} {
		called, stopped := false, false
		cfg := Config{Version: "test", Root: t.TempDir(), DockerSocket: "/nonexistent/docker.sock",
			Interruptible: func(ctx context.Context) (context.Context, context.CancelFunc) {
				called = true
				return ctx, func() { stopped = true }
			}}
		Main(context.Background(), cfg, tc.args, strings.NewReader(tc.stdin), io.Discard, io.Discard)
		if called != tc.want || stopped != tc.want {
			t.Errorf("%v %s: Interruptible called %v, stopped %v; want %v", tc.args, tc.stdin, called, stopped, tc.want)
		}
	}
}
