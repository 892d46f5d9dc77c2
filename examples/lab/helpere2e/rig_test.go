package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/kasmfleet/push/examples/lab/labenv"
	"github.com/kasmfleet/push/examples/lab/labssh"
	"github.com/kasmfleet/push/remote/proto"
)

// helperBinary is push-helper built from this tree, once per test run.
type helperBinary struct {
	once sync.Once
	data []byte
	sha  string
	err  error
}

var built helperBinary // written once by build; tests only read it

func (b *helperBinary) build(t *testing.T) ([]byte, string) {
	t.Helper()
	b.once.Do(func() {
		root, err := labenv.LabRoot()
		if err != nil {
			b.err = err
			return
		}
		out := filepath.Join(os.TempDir(), fmt.Sprintf("push-helper-e2e-%d", os.Getpid()))
		defer os.Remove(out)
		cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w -X main.version=e2e", "-o", out, "./cmd/push-helper")
		cmd.Dir = filepath.Dir(filepath.Dir(root))
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
		if msg, err := cmd.CombinedOutput(); err != nil {
			b.err = fmt.Errorf("build push-helper: %w: %s", err, msg)
			return
		}
		if b.data, b.err = os.ReadFile(out); b.err == nil {
			sum := sha256.Sum256(b.data)
			b.sha = hex.EncodeToString(sum[:])
		}
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.data, b.sha
}

// rig is one agent VM with the helper uploaded.
type rig struct {
	t     *testing.T
	lab   *labenv.Lab
	agent labenv.Agent
	n     int // 1..3
	ssh   *ssh.Client
	path  string // the helper on the VM
}

func testContext(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// newRig resets agent n (1-based) to the lab's pristine state and uploads
// the helper the way push does (temp file, chmod, rename).
func newRig(t *testing.T, lab *labenv.Lab, n int) *rig {
	t.Helper()
	ctx := testContext(t, 3*time.Minute)
	a := lab.Agents()[n-1]
	if err := lab.Reset(ctx, a.Name); err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, lab: lab, agent: a, n: n}
	r.dial(ctx)
	t.Cleanup(func() {
		if r.ssh != nil {
			r.ssh.Close()
		}
	})
	r.upload(ctx)
	return r
}

// upload puts the helper on the VM the way push does (temp file, chmod,
// rename).
func (r *rig) upload(ctx context.Context) {
	r.t.Helper()
	data, sha := built.build(r.t)
	r.path = "/var/lib/push/bin/push-helper-" + sha
	dir := "/var/lib/push/bin"
	if _, _, err := r.exec(ctx, "mkdir -p -m 0700 /var/lib/push "+dir+" && cat > "+dir+"/.upload && chmod 0755 "+dir+"/.upload && mv "+dir+"/.upload "+r.path, data); err != nil {
		r.t.Fatalf("upload helper: %v", err)
	}
}

func (r *rig) dial(ctx context.Context) {
	r.t.Helper()
	c := labssh.Client{KeyPath: r.lab.KeyPath(), KnownHostsPath: r.lab.KnownHostsPath()}
	cl, err := c.Dial(ctx, r.agent.SSHAddr)
	if err != nil {
		r.t.Fatal(err)
	}
	r.ssh = cl
}

// exec runs cmd with stdin and returns stdout, the exit status and an
// error for anything but a non-zero exit.
func (r *rig) exec(ctx context.Context, cmd string, stdin []byte) (string, int, error) {
	s, err := r.ssh.NewSession()
	if err != nil {
		return "", -1, err
	}
	defer s.Close()
	var stdout, stderr bytes.Buffer
	s.Stdin, s.Stdout, s.Stderr = bytes.NewReader(stdin), &stdout, &stderr
	done := make(chan error, 1)
	go func() { done <- s.Run(cmd) }()
	select {
	case err = <-done:
	case <-ctx.Done():
		return stdout.String(), -1, ctx.Err()
	}
	var exit *ssh.ExitError
	if errors.As(err, &exit) {
		if stderr.Len() > 0 {
			r.t.Logf("%s: stderr: %s", r.agent.Name, strings.TrimSpace(stderr.String()))
		}
		return stdout.String(), exit.ExitStatus(), nil
	}
	if err != nil {
		return stdout.String(), -1, fmt.Errorf("%s: %w: %s", cmd, err, stderr.String())
	}
	return stdout.String(), 0, nil
}

// sh runs a shell command that must succeed.
func (r *rig) sh(ctx context.Context, cmd string) string {
	r.t.Helper()
	out, code, err := r.exec(ctx, cmd, nil)
	if err != nil || code != 0 {
		r.t.Fatalf("%s: %q: exit %d, %v: %s", r.agent.Name, cmd, code, err, out)
	}
	return out
}

// helper runs one verb and decodes the one JSON result.
func (r *rig) helper(ctx context.Context, verb proto.Verb, spec proto.HostSpec, opts proto.Options) (proto.Result, int) {
	r.t.Helper()
	if opts.Holder == "" {
		opts.Holder = "e2e@" + r.t.Name()
	}
	req, _ := json.Marshal(proto.Request{Version: proto.Version, Verb: verb, Spec: &spec, Options: opts})
	out, code, err := r.exec(ctx, r.path, req)
	if err != nil {
		r.t.Fatalf("%s %s: %v", r.agent.Name, verb, err)
	}
	var res proto.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		r.t.Fatalf("%s %s: stdout is not a result: %v: %q", r.agent.Name, verb, err, out)
	}
	return res, code
}

// apply applies spec and fails the test unless every action was done.
func (r *rig) apply(ctx context.Context, spec proto.HostSpec) proto.Result {
	r.t.Helper()
	res, code := r.helper(ctx, proto.VerbApply, spec, proto.Options{})
	if code != proto.ExitOK || res.Error != "" {
		r.t.Fatalf("%s apply: exit %d%s\n%s", r.agent.Name, code, topError(res), actionsText(res))
	}
	return res
}

// converged fails the test unless plan finds nothing to do.
func (r *rig) converged(ctx context.Context, spec proto.HostSpec) {
	r.t.Helper()
	res, code := r.helper(ctx, proto.VerbPlan, spec, proto.Options{})
	if code != proto.ExitOK || len(res.Actions) != 0 {
		r.t.Fatalf("%s plan on a converged host: exit %d, error %q\n%s", r.agent.Name, code, res.Error, actionsText(res))
	}
}

// verified fails the test unless every verify check passes.
func (r *rig) verified(ctx context.Context, spec proto.HostSpec) proto.Result {
	r.t.Helper()
	res, code := r.helper(ctx, proto.VerbVerify, spec, proto.Options{})
	if code != proto.ExitOK || res.Error != "" || len(res.Checks) == 0 || !allOK(res.Checks) {
		r.t.Fatalf("%s verify: exit %d, error %q\n%s", r.agent.Name, code, res.Error, checksText(res))
	}
	if left := r.sh(ctx, "ip -o link show | awk -F': ' '{print $2}' | grep -E '^(pp|pv)[0-9a-f]{8}' || true"); strings.TrimSpace(left) != "" {
		r.t.Fatalf("%s: probe links left after verify: %s", r.agent.Name, left)
	}
	return res
}

// dockerReads runs a no-change apply with verify, as push's re-run of a
// converged fleet does, and counts the Docker reads in the helper's
// trace by kind: "ping", "list", "inspect" (any other path by itself).
func (r *rig) dockerReads(ctx context.Context, spec proto.HostSpec) (proto.Result, map[string]int) {
	r.t.Helper()
	req, _ := json.Marshal(proto.Request{Version: proto.Version, Verb: proto.VerbApply, Spec: &spec,
		Options: proto.Options{Verify: true, Holder: "e2e@" + r.t.Name()}})
	script := "PUSH_HELPER_TRACE=1 " + r.path + " 2>/tmp/push-trace; rc=$?; echo ---trace---; cat /tmp/push-trace; exit $rc"
	out, code, err := r.exec(ctx, script, req)
	if err != nil {
		r.t.Fatal(err)
	}
	out, trace, _ := strings.Cut(out, "---trace---\n")
	var res proto.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != proto.ExitOK {
		r.t.Fatalf("%s apply with verify: exit %d, %v: %q", r.agent.Name, code, err, out)
	}
	reads := map[string]int{}
	for _, line := range strings.Split(trace, "\n") {
		path, ok := strings.CutPrefix(line, "push-helper: read docker GET ")
		switch _, rest, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/"); {
		case !ok:
		case path == "/_ping":
			reads["ping"]++
		case rest == "networks":
			reads["list"]++
		case strings.HasPrefix(rest, "networks/"):
			reads["inspect"]++
		default:
			reads[path]++
		}
	}
	return res, reads
}

// planCPU is the helper's own CPU time (user+sys) for one plan, the
// least of runs tries: the lab's VMs share two emulated cores with other
// work, and the least is the helper's own cost.
func (r *rig) planCPU(ctx context.Context, spec proto.HostSpec, runs int) time.Duration {
	r.t.Helper()
	req, _ := json.Marshal(proto.Request{Version: proto.Version, Verb: proto.VerbPlan, Spec: &spec})
	script := "cat > /tmp/push-plan.json; TIMEFORMAT='%3U %3S'; for i in $(seq " + strconv.Itoa(runs) + "); do { time " + r.path + " < /tmp/push-plan.json > /dev/null; } 2>&1; done"
	out, _, err := r.exec(ctx, script, req)
	if err != nil {
		r.t.Fatal(err)
	}
	best := time.Duration(-1)
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(line)
		if len(f) != 2 {
			r.t.Fatalf("time output %q", out)
		}
		u, _ := strconv.ParseFloat(f[0], 64)
		s, _ := strconv.ParseFloat(f[1], 64)
		d := time.Duration((u + s) * float64(time.Second))
		if best < 0 || d < best {
			best = d
		}
	}
	return best
}

func actionsText(res proto.Result) string {
	var b strings.Builder
	for _, a := range res.Actions {
		fmt.Fprintf(&b, "  %-8s %s %s: %s", a.Outcome, a.Kind, a.Target, a.Summary)
		if a.Error != "" {
			fmt.Fprintf(&b, " [%s]", a.Error)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func allOK(checks []proto.Check) bool {
	for _, c := range checks {
		if !c.OK {
			return false
		}
	}
	return true
}

func checksText(res proto.Result) string {
	var b strings.Builder
	for _, c := range res.Checks {
		fmt.Fprintf(&b, "  ok=%v %s: %s want %q got %q %s\n", c.OK, c.Network, c.What, c.Want, c.Got, c.Error)
	}
	return b.String()
}

// actionKinds counts the actions of each kind and outcome.
func actionKinds(res proto.Result) map[string]int {
	m := map[string]int{}
	for _, a := range res.Actions {
		m[string(a.Outcome)+" "+string(a.Kind)]++
	}
	return m
}

func jsonRequest(verb proto.Verb, spec proto.HostSpec) ([]byte, error) {
	return json.Marshal(proto.Request{Version: proto.Version, Verb: verb, Spec: &spec, Options: proto.Options{Holder: "e2e-kill"}})
}

// plan returns the actions a plan of spec lists.
func (r *rig) plan(ctx context.Context, spec proto.HostSpec) []proto.Action {
	r.t.Helper()
	res, code := r.helper(ctx, proto.VerbPlan, spec, proto.Options{})
	if code != proto.ExitChanges || res.Error != "" {
		r.t.Fatalf("%s plan: exit %d, error %q\n%s", r.agent.Name, code, res.Error, actionsText(res))
	}
	return res.Actions
}

// topError is the helper's top-level error for a message, if it gave one.
func topError(res proto.Result) string {
	if res.Error == "" {
		return " (no top-level error; failed actions below)"
	}
	return ", error: " + res.Error
}
