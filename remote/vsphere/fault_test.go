package vsphere

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kasmfleet/push/remote/proto"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// noSecret fails when any text holds the simulator's password in any
// encoding a URL or an error might give it.
func noSecret(t *testing.T, texts ...string) {
	t.Helper()
	for _, s := range texts {
		for _, sec := range []string{simPassword, url.QueryEscape(simPassword), url.PathEscape(simPassword), url.UserPassword("u", simPassword).String()[2:]} {
			if strings.Contains(s, sec) {
				t.Errorf("password (%q) leaked in: %s", sec, s)
			}
		}
	}
}

// reportTexts is everything of a report and its events a user might see.
func reportTexts(t *testing.T, r Report, events []Event) []string {
	t.Helper()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	out := []string{string(b), fmt.Sprintf("%+v", r), fmt.Sprintf("%#v", r)}
	for _, c := range r.Changes {
		if c.Err != nil {
			out = append(out, c.Err.Error())
		}
	}
	for _, e := range events {
		out = append(out, fmt.Sprintf("%+v", e))
	}
	return out
}

func closedPort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

func TestConnect(t *testing.T) {
	s := newSim(t)
	cert := s.server.Certificate()
	dir := t.TempDir()
	badCA := filepath.Join(dir, "bad.pem")
	if err := os.WriteFile(badCA, []byte("not a certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	knownHosts := filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(knownHosts, []byte("# govc\nother.example:443 AA:BB\n"+s.server.URL.Host+" "+thumbprintSHA1(cert)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	withURLCreds := s.cfg
	u, _ := url.Parse(s.cfg.URL)
	u.User = url.UserPassword(simUser, simPassword)
	withURLCreds.URL, withURLCreds.Username, withURLCreds.Password = u.String(), "", ""

	tests := []struct {
		name   string
		edit   func(c *Config)
		want   error  // nil: connects
		substr string // in the error
	}{
		{"CA file", func(c *Config) {}, nil, ""},
		{"credentials in the URL", func(c *Config) { *c = withURLCreds }, nil, ""},
		{"insecure", func(c *Config) { c.CAFile, c.Insecure = "", true }, nil, ""},
		{"pinned SHA-256", func(c *Config) { c.CAFile, c.Thumbprint = "", strings.ToLower(thumbprintSHA256(cert)) }, nil, ""},
		{"known_hosts SHA-1", func(c *Config) { c.CAFile, c.KnownHosts = "", knownHosts }, nil, ""},
		{"untrusted", func(c *Config) { c.CAFile = "" }, ErrTLS, "thumbprint is " + thumbprintSHA256(cert)},
		{"wrong pin", func(c *Config) { c.CAFile, c.Thumbprint = "", "00:11:22" }, ErrTLS, "does not match the pinned 00:11:22"},
		{"wrong pin beats CA", func(c *Config) { c.Thumbprint = "00:11:22" }, ErrTLS, "pinned"},
		{"bad CA file", func(c *Config) { c.CAFile = badCA }, ErrConfig, "holds no PEM"},
		{"wrong password", func(c *Config) { c.Password = simPassword + "x" }, ErrLogin, "as " + simUser + ": Login failure [InvalidLogin]"},
		{"wrong user", func(c *Config) { c.Username = "nobody" }, ErrLogin, "as nobody"},
		{"no password", func(c *Config) { c.Password = "" }, ErrConfig, "no vCenter username or password"},
		{"no URL", func(c *Config) { c.URL = "" }, ErrConfig, "no vCenter URL"},
		{"plain http", func(c *Config) { c.URL = "http://" + s.server.URL.Host + "/sdk" }, ErrConfig, "plain http"},
		{"unreachable", func(c *Config) { c.URL = "https://" + closedPort(t) + "/sdk" }, ErrUnreachable, "connection refused"},
		{"unreachable with password in URL", func(c *Config) {
			c.URL = "https://" + url.UserPassword("x", simPassword).String() + "@" + closedPort(t) + "/sdk"
		}, ErrUnreachable, "https://127.0.0.1:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := s.cfg
			tc.edit(&cfg)
			c, err := Connect(testCtx(t), cfg)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("connect: %v", err)
				}
				if err := c.Close(testCtx(t)); err != nil {
					t.Errorf("close: %v", err)
				}
				return
			}
			if c != nil {
				_ = c.Close(testCtx(t))
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.substr) {
				t.Errorf("error %q does not say %q", err, tc.substr)
			}
			noSecret(t, err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", cfg))
		})
	}
}

func TestConnectHonoursContext(t *testing.T) {
	// A listener that accepts and never answers: only the context ends it.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { _ = c.Close() })
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = Connect(ctx, Config{URL: l.Addr().String(), Username: "u", Password: simPassword})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v, want deadline exceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("connect took %s after a 500ms deadline", d)
	}
	noSecret(t, err.Error())
}

func TestObserveMissingObjects(t *testing.T) {
	s := newSim(t)
	c := s.connect(t)
	for _, tc := range []struct {
		name   string
		edit   func(*proto.VSphereSpec)
		substr string
	}{
		{"datacenter", func(sp *proto.VSphereSpec) { sp.Datacenter = "DC9" }, `datacenter "DC9"`},
		{"switch", func(sp *proto.VSphereSpec) { sp.Switch = "DSwitch-Gone" }, `distributed switch "DSwitch-Gone" in datacenter DC0`},
		{"switch is a port group", func(sp *proto.VSphereSpec) { sp.Switch = "DC0_DVPG0" }, "it is a DistributedVirtualPortgroup"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := trunkSpec("DC0_H0_VM0")
			tc.edit(&spec)
			_, err := c.Observe(testCtx(t), spec)
			if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), tc.substr) {
				t.Fatalf("observe error %v, want ErrNotFound naming %s", err, tc.substr)
			}
			r, err := c.Apply(testCtx(t), spec, nil)
			if !errors.Is(err, ErrNotFound) || len(r.Changes) != 0 {
				t.Fatalf("apply: %v, changes %q", err, kinds(r.Changes))
			}
		})
	}
}

func TestApplyMissingVMDoesNotStopOthers(t *testing.T) {
	s := newSim(t)
	c := s.connect(t)
	spec := trunkSpec("DC0_H0_VM0", "kasm-agent-gone", "/DC0/vm/DC0_H0_VM1", "/DC0/vm/nowhere")
	r, err := c.Apply(testCtx(t), spec, nil)
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("error %v, want ErrNotFound", err)
	}
	for _, name := range []string{"kasm-agent-gone", "/DC0/vm/nowhere"} {
		if !strings.Contains(err.Error(), "VM "+name) {
			t.Errorf("error %q does not name VM %s", err, name)
		}
	}
	wantKinds(t, r.Changes,
		"create-portgroup port group kasm-trunk done",
		"add-nic VM DC0_H0_VM0 trunk NIC done",
		"missing-vm VM kasm-agent-gone refused",
		"add-nic VM /DC0/vm/DC0_H0_VM1 trunk NIC done",
		"missing-vm VM /DC0/vm/nowhere refused")
	if len(r.NICs) != 2 {
		t.Errorf("NICs %+v, want the two found VMs", r.NICs)
	}
}

// failingDVS fails every port group creation as a task.
type failingDVS struct {
	*simulator.DistributedVirtualSwitch
}

func (s *failingDVS) AddDVPortgroupTask(ctx *simulator.Context, req *types.AddDVPortgroup_Task) soap.HasFault {
	task := simulator.CreateTask(req.This, "addDVPortgroup", func(*simulator.Task) (types.AnyType, types.BaseMethodFault) {
		return nil, &types.DvsFault{VimFault: types.VimFault{MethodFault: types.MethodFault{
			FaultMessage: []types.LocalizableMessage{{Key: "test", Message: "the switch is being upgraded"}}}}}
	})
	return &methods.AddDVPortgroup_TaskBody{Res: &types.AddDVPortgroup_TaskResponse{Returnval: task.Run(ctx)}}
}

func (s *sim) switchObject(t *testing.T, name string) *simulator.DistributedVirtualSwitch {
	n, err := s.finder(t).Network(testCtx(t), name)
	if err != nil {
		t.Fatal(err)
	}
	return s.model.Map().Get(n.Reference()).(*simulator.DistributedVirtualSwitch)
}

func TestApplyTaskFails(t *testing.T) {
	s := newSim(t)
	s.model.Map().Put(&failingDVS{s.switchObject(t, "DVS0")})
	c := s.connect(t)
	spec := trunkSpec("DC0_H0_VM0")
	var events []Event
	r, err := c.Apply(testCtx(t), spec, func(e Event) { events = append(events, e) })
	if !errors.Is(err, ErrTask) {
		t.Fatalf("error %v, want ErrTask", err)
	}
	want := "port group kasm-trunk: vsphere task failed: create it: the switch is being upgraded [DvsFault]"
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error %q, want it to say %q", err, want)
	}
	wantKinds(t, r.Changes,
		"create-portgroup port group kasm-trunk failed",
		"add-nic VM DC0_H0_VM0 trunk NIC skipped")
	if r.Changes[0].Error == "" || r.Changes[1].Error == "" {
		t.Errorf("failed and skipped changes say nothing: %+v", r.Changes)
	}
	noSecret(t, append(reportTexts(t, r, events), err.Error())...)
}

func TestApplyInjectedVMFault(t *testing.T) {
	s := newSim(t)
	s.model.Service.AddFaultRule(&simulator.FaultInjectionRule{
		MethodName: "ReconfigVM_Task", ObjectType: "VirtualMachine", ObjectName: "DC0_H0_VM1",
		Probability: 1, FaultType: simulator.FaultTypeInvalidState,
		Message: "VM is being migrated", Enabled: true,
	})
	c := s.connect(t)
	r, err := c.Apply(testCtx(t), trunkSpec("DC0_H0_VM0", "DC0_H0_VM1"), nil)
	if !errors.Is(err, ErrTask) || !strings.Contains(err.Error(), "VM DC0_H0_VM1 trunk NIC") || !strings.Contains(err.Error(), "VM is being migrated") {
		t.Fatalf("error %v, want ErrTask naming DC0_H0_VM1 and the fault", err)
	}
	wantKinds(t, r.Changes,
		"create-portgroup port group kasm-trunk done",
		"add-nic VM DC0_H0_VM0 trunk NIC done",
		"add-nic VM DC0_H0_VM1 trunk NIC failed")
	if len(r.NICs) != 1 || r.NICs[0].Agent != "agent-DC0_H0_VM0" {
		t.Errorf("NICs %+v, want only DC0_H0_VM0's", r.NICs)
	}
}

// stuckVM's reconfigure tasks run until release is closed.
type stuckVM struct {
	*simulator.VirtualMachine
	release chan struct{}
}

func (vm *stuckVM) ReconfigVMTask(ctx *simulator.Context, req *types.ReconfigVM_Task) soap.HasFault {
	task := simulator.CreateTask(req.This, "reconfigVm", func(*simulator.Task) (types.AnyType, types.BaseMethodFault) {
		<-vm.release
		return nil, &types.TaskInProgress{}
	})
	return &methods.ReconfigVM_TaskBody{Res: &types.ReconfigVM_TaskResponse{Returnval: task.Run(ctx)}}
}

func TestApplyTaskTimesOut(t *testing.T) {
	s := newSim(t)
	ref := s.vm(t, "DC0_H0_VM0").Reference()
	stuck := &stuckVM{s.model.Map().Get(ref).(*simulator.VirtualMachine), make(chan struct{})}
	s.model.Map().Put(stuck)
	t.Cleanup(func() { close(stuck.release) })
	c := s.connect(t)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	r, err := c.Apply(ctx, trunkSpec("DC0_H0_VM0"), nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v, want deadline exceeded", err)
	}
	wantKinds(t, r.Changes,
		"create-portgroup port group kasm-trunk done",
		"add-nic VM DC0_H0_VM0 trunk NIC failed")
	if !strings.Contains(r.Changes[1].Error, "may still complete") {
		t.Errorf("timed-out change says %q", r.Changes[1].Error)
	}
}

func TestConfigNeverShowsPassword(t *testing.T) {
	c := Config{URL: "https://" + url.UserPassword("root", simPassword).String() + "@vc.example/sdk", Username: "u", Password: simPassword}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	texts := []string{fmt.Sprint(c), fmt.Sprintf("%v", c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c), fmt.Sprintf("%s", c), string(b),
		fmt.Sprintf("%v", &c), fmt.Sprintf("%+v", []Config{c})}
	noSecret(t, texts...)
	if !strings.Contains(texts[0], "Password:(set)") || !strings.Contains(texts[0], "vc.example") {
		t.Errorf("config text %q should say the password is set and name the server", texts[0])
	}
}

// failingPG fails every reconfigure of the port group.
type failingPG struct {
	*simulator.DistributedVirtualPortgroup
}

func (p *failingPG) ReconfigureDVPortgroupTask(ctx *simulator.Context, req *types.ReconfigureDVPortgroup_Task) soap.HasFault {
	task := simulator.CreateTask(req.This, "reconfigureDvPortgroup", func(*simulator.Task) (types.AnyType, types.BaseMethodFault) {
		return nil, &types.ConcurrentAccess{}
	})
	return &methods.ReconfigureDVPortgroup_TaskBody{Res: &types.ReconfigureDVPortgroup_TaskResponse{Returnval: task.Run(ctx)}}
}

func TestApplyFailedUpdateStillAddsNICs(t *testing.T) {
	s := newSim(t)
	c := s.connect(t)
	spec := trunkSpec("DC0_H0_VM0")
	spec.VMs = nil
	if _, err := c.Apply(testCtx(t), spec, nil); err != nil {
		t.Fatal(err)
	}
	pg := s.portGroup(t, "kasm-trunk")
	s.model.Map().Put(&failingPG{s.model.Map().Get(pg.Self).(*simulator.DistributedVirtualPortgroup)})

	spec = trunkSpec("DC0_H0_VM0")
	spec.VLANs = append(spec.VLANs, proto.Range{Start: 200, End: 210})
	r, err := c.Apply(testCtx(t), spec, nil)
	if !errors.Is(err, ErrTask) || !strings.Contains(err.Error(), "port group kasm-trunk: vsphere task failed: reconfigure it: ConcurrentAccess") {
		t.Fatalf("error %v, want the port group's ConcurrentAccess", err)
	}
	// The existing trunk still carries the NIC.
	wantKinds(t, r.Changes,
		"update-portgroup port group kasm-trunk failed",
		"add-nic VM DC0_H0_VM0 trunk NIC done")
	if len(r.NICs) != 1 {
		t.Errorf("NICs %+v", r.NICs)
	}
}
