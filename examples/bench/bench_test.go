package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kasmfleet/push/playbooks"
	"github.com/kasmfleet/push/remote/helper/netcfg"
	"github.com/kasmfleet/push/remote/helper/state"
	"github.com/kasmfleet/push/remote/proto"
)

func TestMarkdownRatios(t *testing.T) {
	r := Results{Machine: Machine{CPUs: 2, Model: "cpu", Kernel: "6.1", Load: "1 1 1", Date: "today"}, Runs: []Run{
		{Workload: W1Check, Hosts: 100, Tool: ToolPush, Wall: 2 * time.Second, ControllerCPU: 200 * time.Millisecond, Conns: 1, Execs: 1, CountSource: "x"},
		{Workload: W1Check, Hosts: 100, Tool: ToolAnsible, Wall: 100 * time.Second, ControllerCPU: 60 * time.Second, Conns: 1, Execs: 17, CountSource: "y"},
		{Workload: W1Check, Hosts: 100, Tool: ToolFloor, Wall: 1600 * time.Millisecond, ControllerCPU: 100 * time.Millisecond, ServerCPU: 2900 * time.Millisecond},
		{Workload: W1Check, Hosts: 300, Tool: ToolPush, Wall: 6 * time.Second, ControllerCPU: 600 * time.Millisecond},
		{Workload: W1Check, Hosts: 10, Tool: ToolPush, Wall: time.Second, ControllerCPU: 30 * time.Millisecond},
	}}
	md := r.Markdown()
	for _, want := range []string{
		"Machine: 2 CPUs, cpu, kernel 6.1",
		// push 2 s, Ansible 100 s, floor 1.6 s: 0.02× and 1.25×; CPU per host 2 ms and 600 ms, 300× apart.
		"| 1 check (converged) | 100 | 2.00 s | 100.00 s | 1.60 s | 0.02× | 1.25× | 2.00 ms | 600.00 ms | 300.00× | 1, 1 | 1, 17 | 0 B |",
		// The floor used 3 s of CPU in all: 1.5 s on 2 CPUs; 29 ms of server CPU per host.
		"| 1 check (converged) | 100 | 29.0 ms | — | — | 1.50 s / 1.60 s | — | — |",
		// No Ansible and no floor at 300: dashes, not zeros or infinities.
		"| 1 check (converged) | 300 | 6.00 s | — | — | — | — | 2.00 ms | — | — | — | — | 0 B |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks\n%s\n---\n%s", want, md)
		}
	}
	// Rows are ordered by workload, then by fleet size.
	i10, i100, i300 := strings.Index(md, "| 10 |"), strings.Index(md, "| 100 |"), strings.Index(md, "| 300 |")
	if !(i10 < i100 && i100 < i300) {
		t.Errorf("rows out of order: 10 at %d, 100 at %d, 300 at %d", i10, i100, i300)
	}
}

func TestParseSizes(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []int
		bad  bool
	}{
		{in: "10,100,300", want: []int{10, 100, 300}},
		{in: " 5 ,", want: []int{5}},
		{in: "", want: nil},
		{in: "0", bad: true},
		{in: "ten", bad: true},
		{in: "2000", bad: true},
	} {
		got, err := parseSizes(tc.in)
		if (err != nil) != tc.bad || !tc.bad && !slices.Equal(got, tc.want) {
			t.Errorf("parseSizes(%q) = %v, %v; want %v (error %v)", tc.in, got, err, tc.want, tc.bad)
		}
	}
}

func TestParseRecap(t *testing.T) {
	o, err := parseRecap(filepath.Join("testdata", "recap.json"))
	if err != nil {
		t.Fatal(err)
	}
	if o.Hosts != 3 || o.Changed != 1 || o.Failed != 1 {
		t.Errorf("recap %+v: want 3 hosts, 1 changed, 1 failed", o)
	}
	if !strings.Contains(o.FirstError, "host-1: read the trunk NIC") || !strings.Contains(o.FirstError, "does not exist") {
		t.Errorf("first error %q does not name the host, task and cause", o.FirstError)
	}
}

func TestNFTTableReplacesPushTable(t *testing.T) {
	got := nftTable([]proto.SNATRule{
		{Subnet: "172.30.0.0/16", Bridge: "br-b", SourceIP: "198.51.100.2"},
		{Subnet: "172.19.0.0/16", Bridge: "br-a", SourceIP: "198.51.100.1"},
	})
	want := "table ip push\ndelete table ip push\ntable ip push {\n\tchain postrouting {\n" +
		"\t\ttype nat hook postrouting priority srcnat; policy accept;\n" +
		"\t\tip saddr 172.19.0.0/16 oifname != \"br-a\" snat to 198.51.100.1 comment \"push: br-a\"\n" +
		"\t\tip saddr 172.30.0.0/16 oifname != \"br-b\" snat to 198.51.100.2 comment \"push: br-b\"\n" +
		"\t}\n}\n"
	if got != want {
		t.Errorf("nft script:\n%s\nwant:\n%s", got, want)
	}
}

// An ansible.cfg with a relative inventory path is read relative to the
// working directory, where Ansible then finds no inventory and runs on no
// host at all, successfully.
func TestAnsiblePathsAreAbsolute(t *testing.T) {
	t.Chdir(t.TempDir())
	a, err := writeAnsible("projdir", "play.yml", 3, "linear", "keyfile", "knownfile",
		[]ansibleTarget{{Name: "h", Addr: "192.0.2.1", Port: 22}}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, name := range []string{"ansible.cfg", "inventory.json"} {
		b, err := os.ReadFile(filepath.Join(a.dir, name))
		if err != nil {
			t.Fatal(err)
		}
		for _, tok := range strings.FieldsFunc(string(b), func(r rune) bool { return strings.ContainsRune(" \n\"=,", r) }) {
			if strings.Contains(tok, "projdir") || strings.Contains(tok, "keyfile") || strings.Contains(tok, "knownfile") {
				seen++
				if !filepath.IsAbs(tok) {
					t.Errorf("%s: %s is relative", name, tok)
				}
			}
		}
	}
	if seen < 4 {
		t.Errorf("found %d paths; want the inventory, control path, known_hosts, key and files", seen)
	}
	if !filepath.IsAbs(a.playbook) {
		t.Errorf("playbook %s is relative", a.playbook)
	}
}

// The converge floor is valid sh and writes what push's helper writes.
func TestFloorScript(t *testing.T) {
	h := playbooks.Host{Name: "host-0", Spec: spec("host-0")}
	s, err := floorScript(FloorConverge, h, strings.Repeat("a", 64))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"link set trunk0 up", "address flush dev trunk0", "| ip -4 -batch -", "networkctl reload",
		"> " + netcfg.NetworkdFile + "\n", "> " + state.UnitFile + "\n", "> " + state.Applied + "\n",
		"ln -sfn " + state.UnitFile + " " + state.WantsLink, "ln -sfn " + state.BinaryPath(strings.Repeat("a", 64)) + " " + state.Link} {
		if !strings.Contains(s, want) {
			t.Errorf("floor script lacks %q:\n%s", want, s)
		}
	}
	if out, err := exec.Command("sh", "-n", "-c", s).CombinedOutput(); err != nil {
		t.Errorf("floor script is not valid sh: %v: %s\n%s", err, out, s)
	}
	if s, err := floorScript(FloorNoop, h, ""); err != nil || s != "true" {
		t.Errorf("noop floor %q, %v", s, err)
	}
	if _, err := floorScript("more", h, ""); err == nil {
		t.Error("unknown floor work: no error")
	}
}
