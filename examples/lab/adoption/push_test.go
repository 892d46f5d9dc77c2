package adoption

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"text/template"
	"time"

	"github.com/kasmfleet/push/examples/lab/labenv"
	"github.com/kasmfleet/push/remote/proto"
)

type pushRun struct {
	code     int
	out, err string
	took     time.Duration
}

// push runs the push binary with args and logs what it said.
func push(t *testing.T, args ...string) pushRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, labenv.PushBinary(t), args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	start := time.Now()
	err := cmd.Run()
	r := pushRun{out: out.String(), err: errb.String(), took: time.Since(start)}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("push %s: %v", strings.Join(args, " "), err)
	}
	t.Logf("push %s → exit %d in %s\n%s\n%s", strings.Join(args, " "), r.code, r.took.Round(100*time.Millisecond), r.out, r.err)
	return r
}

// report is push's --json report of apply or plan.
type report struct {
	Hosts []struct {
		Name   string        `json:"name"`
		State  string        `json:"state"`
		Error  string        `json:"error"`
		Result *proto.Result `json:"result"`
	} `json:"hosts"`
}

func decodeReport(t *testing.T, r pushRun) report {
	t.Helper()
	var rep report
	if err := json.Unmarshal([]byte(r.out), &rep); err != nil {
		t.Fatalf("decode push's JSON report: %v", err)
	}
	return rep
}

// invAgent is an agent of the test inventory.
type invAgent struct {
	Name     string
	Port     string
	User     string // root unless set (kasm-agent-4: admin, through sudo)
	Slot     int
	SourceIP string
}

type invData struct {
	KnownHosts, Key string
	Adopt           bool
	EgressSubnet    string
	Agents          []invAgent
}

// writeInventory renders testdata/inventory.hcl.tmpl for the lab.
func writeInventory(t *testing.T, lab *labenv.Lab, d invData) string {
	t.Helper()
	d.KnownHosts, d.Key = lab.KnownHostsPath(), lab.KeyPath()
	tmpl := template.Must(template.ParseFiles("testdata/inventory.hcl.tmpl"))
	path := filepath.Join(t.TempDir(), "inventory.hcl")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := tmpl.Execute(f, d); err != nil {
		t.Fatal(err)
	}
	return path
}

// labAgent returns the lab's agent by name.
func labAgent(t *testing.T, lab *labenv.Lab, name string) labenv.Agent {
	t.Helper()
	for _, a := range append(lab.Agents(), lab.BareMetalAgents()...) {
		if a.Name == name {
			return a
		}
	}
	t.Fatalf("no agent %s in the lab", name)
	return labenv.Agent{}
}

func port(a labenv.Agent) string {
	_, p, _ := strings.Cut(a.SSHAddr, ":")
	return p
}
