package adoption

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kasmfleet/push/examples/lab/handbuilt"
	"github.com/kasmfleet/push/examples/lab/labenv"
	"github.com/kasmfleet/push/examples/lab/needs"
	"github.com/kasmfleet/push/remote/proto"
)

// TestImportRoundTrip: three agents built by hand: the first on slot 0,
// the second with ip-ranges that fit no slice grid (/29s where the rest
// have /28s), the third on the first's slice (an overlap nobody noticed:
// Docker's IPAM is per host). push import writes their inventory from a
// minimal one; plan of it only adopts (no create, replace or remove);
// apply --adopt; check is in sync.
func TestImportRoundTrip(t *testing.T) {
	needs.NotShort(t)
	lab := labenv.Require(t)
	ctx := context.Background()
	agents := []labenv.Agent{labAgent(t, lab, "kasm-agent-1"), labAgent(t, lab, "kasm-agent-2"), labAgent(t, lab, "kasm-agent-3")}
	step := stepTimer(t)
	const egress = "172.19.0.0/16"
	const irregular150, irregular160 = "192.0.2.56/29", "192.0.2.200/29"
	unbuild(t, lab, agents[0].Name, agents[1].Name, agents[2].Name)
	builds := make([]func() error, len(agents))
	for i, a := range agents {
		b := handbuilt.Agent{Name: a.Name, SourceIP: a.ExtraAddr, Enclave: true, EgressSubnet: egress}
		if i == 1 {
			b.IPRange150, b.IPRange160 = irregular150, irregular160
		}
		builds[i] = func() error {
			_, err := handbuilt.Build(ctx, lab, b)
			return err
		}
	}
	if err := parallel(builds...); err != nil {
		t.Fatal(err)
	}
	step("three agents built by hand")

	dir := t.TempDir()
	minimal := filepath.Join(dir, "agents.hcl")
	src := fmt.Sprintf("defaults {\n  user          = \"root\"\n  known_hosts   = %q\n  identity_file = %q\n}\n", lab.KnownHostsPath(), lab.KeyPath())
	for _, a := range agents {
		src += fmt.Sprintf("agent %q {\n  address = \"127.0.0.1\"\n  port    = %s\n}\n", a.Name, port(a))
	}
	if err := os.WriteFile(minimal, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	imported := filepath.Join(dir, "fleet.hcl")
	if r := push(t, "import", "--out", imported, minimal); r.code != 0 {
		t.Fatalf("import: exit %d, want 0", r.code)
	}
	written, err := os.ReadFile(imported)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("imported inventory:\n%s", written)
	for _, want := range []string{
		"ip-range 192.0.2.16/28 of network z_vlan150 overlaps 192.0.2.16/28 of agent kasm-agent-1",
		`per_agent = 28`, `z_vlan150 = "` + irregular150 + `"`, `z_vlan160 = "` + irregular160 + `"`, `source_ip = "` + agents[0].ExtraAddr + `"`, `subnet    = "` + egress + `"`,
	} {
		if !strings.Contains(string(written), want) {
			t.Errorf("imported inventory lacks %q", want)
		}
	}
	if r := push(t, "import", "--out", imported, minimal); r.code != 1 {
		t.Errorf("second import without --force: exit %d, want 1", r.code)
	}
	step("push import")

	r := push(t, "plan", "--json", imported)
	if r.code != 2 {
		t.Fatalf("plan: exit %d, want 2 (adoptions pending)", r.code)
	}
	adoptions := 0
	for _, k := range actionKinds(decodeReport(t, r)) {
		kind, _, _ := strings.Cut(k, " ")
		switch proto.ActionKind(kind) {
		case proto.ActAdoptNetwork, proto.ActAdoptSNAT:
			adoptions++
		case proto.ActCreateNetwork, proto.ActReplaceNetwork, proto.ActRemoveNetwork, proto.ActAddSNAT, proto.ActRemoveSNAT:
			t.Errorf("plan of the imported inventory would change the fleet: %s", k)
		}
	}
	// 1 and 2: four networks and the SNAT rule; 3: its egress, enclave, rule.
	if adoptions != 13 {
		t.Errorf("plan adopts %d objects, want 13", adoptions)
	}
	step("push plan: adoptions only")

	if r := push(t, "apply", "--adopt", imported); r.code != 0 {
		t.Fatalf("apply --adopt: exit %d, want 0", r.code)
	}
	step("push apply --adopt")
	if r := push(t, "check", imported); r.code != 0 {
		t.Fatalf("check after adoption: exit %d, want 0", r.code)
	}
	step("push check: in sync")
}
