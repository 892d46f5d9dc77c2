package drainlab

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"text/template"
	"time"

	"github.com/kasmfleet/push/examples/lab/kasmdouble"
	"github.com/kasmfleet/push/examples/lab/labenv"
	"github.com/kasmfleet/push/remote/proto"
)

// event is one line of push's --json progress stream.
type event struct {
	Time  time.Time `json:"time"`
	Kind  string    `json:"kind"`
	Host  string    `json:"host"`
	Step  string    `json:"step"`
	State string    `json:"state"`
	Error string    `json:"error"`
}

// report is push's --json report.
type report struct {
	Stopped string `json:"stopped"`
	Hosts   []struct {
		Name   string        `json:"name"`
		State  string        `json:"state"`
		Error  string        `json:"error"`
		Result *proto.Result `json:"result"`
	} `json:"hosts"`
}

// pushRun is one push apply --json in flight: its progress events arrive as
// push prints them.
type pushRun struct {
	t      *testing.T
	ctx    context.Context // cancelled when push's output ends
	cmd    *exec.Cmd
	out    bytes.Buffer
	mu     sync.Mutex
	events []event
	grew   chan struct{} // closed and replaced when events grows
	done   chan struct{} // closed when stderr is read to its end
	other  []string      // stderr lines that are not events
}

// fleet is what every push run of a test shares: the inventory's
// folder, push's state folder (its ledger of drained hosts) and the
// Kasm contract double's credentials.
type fleet struct {
	lab    *labenv.Lab
	double *kasmdouble.Double
	dir    string // inventories
	state  string // XDG_STATE_HOME of every push run
	ca     string
}

func newFleet(t *testing.T, lab *labenv.Lab) *fleet {
	d := kasmdouble.Start()
	t.Cleanup(d.Close)
	f := &fleet{lab: lab, double: d, dir: t.TempDir(), state: t.TempDir()}
	f.ca = filepath.Join(f.dir, "kasm-ca.pem")
	if err := os.WriteFile(f.ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: d.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, a := range lab.Agents() {
		d.AddAgent(a.Name)
	}
	return f
}

type invAgent struct {
	Name, Port string
	Slot       int
}

// inventory writes the lab's three agents with per_agent, and returns
// its path.
func (f *fleet) inventory(t *testing.T, perAgent int) string {
	t.Helper()
	data := struct {
		KnownHosts, Key, KasmURL, KasmCA string
		PerAgent                         int
		Agents                           []invAgent
	}{f.lab.KnownHostsPath(), f.lab.KeyPath(), f.double.URL, f.ca, perAgent, nil}
	for i, a := range f.lab.Agents() {
		_, port, _ := strings.Cut(a.SSHAddr, ":")
		data.Agents = append(data.Agents, invAgent{a.Name, port, i})
	}
	path := filepath.Join(f.dir, fmt.Sprintf("inventory-%d.hcl", perAgent))
	var b bytes.Buffer
	if err := template.Must(template.ParseFiles("testdata/inventory.hcl.tmpl")).Execute(&b, data); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// start runs push apply --json ARGS INVENTORY in the background.
func (f *fleet) start(t *testing.T, ctx context.Context, inv string, args ...string) *pushRun {
	t.Helper()
	args = append(append([]string{"apply", "--json"}, args...), inv)
	r := &pushRun{t: t, grew: make(chan struct{}), done: make(chan struct{})}
	var ended context.CancelFunc
	r.ctx, ended = context.WithCancel(ctx)
	r.cmd = exec.CommandContext(ctx, labenv.PushBinary(t), args...)
	r.cmd.Env = append(os.Environ(), "NO_COLOR=1", "XDG_STATE_HOME="+f.state,
		"KASM_USERNAME="+kasmdouble.Username, "KASM_PASSWORD="+kasmdouble.Password)
	r.cmd.Stdout = &r.out
	stderr, err := r.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("push %s", strings.Join(args, " "))
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		r.read(stderr)
		ended()
	}()
	return r
}

func (r *pushRun) read(stderr interface{ Read([]byte) (int, error) }) {
	defer close(r.done)
	sc := bufio.NewScanner(stderr)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var e event
		r.mu.Lock()
		if err := json.Unmarshal(sc.Bytes(), &e); err == nil && e.Kind != "" {
			r.events = append(r.events, e)
		} else {
			r.other = append(r.other, sc.Text())
		}
		close(r.grew)
		r.grew = make(chan struct{})
		r.mu.Unlock()
	}
}

// waitStep blocks until push says host entered step, and returns the
// event.
func (r *pushRun) waitStep(ctx context.Context, host, step string) (event, error) {
	for i := 0; ; {
		r.mu.Lock()
		for ; i < len(r.events); i++ {
			if e := r.events[i]; e.Kind == "step" && e.Host == host && e.Step == step {
				r.mu.Unlock()
				return e, nil
			}
		}
		grew := r.grew
		r.mu.Unlock()
		select {
		case <-ctx.Done():
			return event{}, fmt.Errorf("waiting for %s to enter %q: %w", host, step, ctx.Err())
		case <-r.done:
			return event{}, fmt.Errorf("push ended before %s entered %q", host, step)
		case <-grew:
		}
	}
}

// wait waits for push to end and returns its exit code and report.
func (r *pushRun) wait() (int, report) {
	r.t.Helper()
	err := r.cmd.Wait()
	<-r.done
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		r.t.Fatalf("push: %v", err)
	}
	var rep report
	if err := json.Unmarshal(r.out.Bytes(), &rep); err != nil {
		r.t.Fatalf("push exit %d, its JSON report: %v\n%s\n%s", code, err, r.out.String(), strings.Join(r.other, "\n"))
	}
	r.t.Logf("push exit %d, report:\n%s", code, r.out.String())
	if len(r.other) > 0 {
		r.t.Logf("push stderr:\n%s", strings.Join(r.other, "\n"))
	}
	return code, rep
}

// fatal fails the test with err after push has ended, with push's
// output: err is mostly that push ended before what the test waited for.
func (r *pushRun) fatal(err error) {
	r.t.Helper()
	if r.cmd.ProcessState == nil {
		r.wait()
		for _, e := range r.events {
			r.t.Logf("event %s %s %s %s %s %s", e.Time.Format(time.StampMilli), e.Kind, e.Host, e.Step, e.State, e.Error)
		}
	}
	r.t.Fatal(err)
}

// hostEvents are host's events, in order.
func (r *pushRun) hostEvents(host string) []event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []event
	for _, e := range r.events {
		if e.Host == host {
			out = append(out, e)
		}
	}
	return out
}
