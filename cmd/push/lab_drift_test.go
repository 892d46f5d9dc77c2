package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/kasmfleet/push/examples/lab/labenv"
	"github.com/kasmfleet/push/examples/lab/needs"
)

// checkDoc is the part of `push check --json` (SCHEMA.md) these tests read.
type checkDoc struct {
	Status  string `json:"status"`
	Targets []struct {
		Name   string `json:"name"`
		Kind   string `json:"kind"`
		Status string `json:"status"`
		Error  string `json:"error"`
		Drifts []struct {
			Component, Object, Expected, Actual, Action string
			Extra                                       bool
		} `json:"drifts"`
	} `json:"targets"`
}

// wantDrift is one difference a check must report: on target, a drift
// of component whose object, expected and actual contain these texts.
type wantDrift struct {
	target, component, object, expected, actual string
	extra                                       bool
}

// TestLabCheckDrift breaks the converged lab by hand, one way at a time,
// as an admin or a reboot would, and wants `push check` to name exactly
// that difference (exit 2), nothing on the other targets, and `push apply`
// to repair it.
func TestLabCheckDrift(t *testing.T) {
	needs.NotShort(t)
	lab := labenv.Require(t)
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	resetLab(t, lab) // whatever ran before (other tests, other inventories) leaves no objects behind
	inv := lab.InventoryPath()
	if r := pushLab(t, nil, nil, "apply", inv); r.code != exitOK {
		t.Fatalf("converging apply: exit %d", r.code)
	}
	doc := checkJSON(t, inv, exitOK)
	if doc.Status != "in-sync" || len(doc.Targets) != 4 {
		t.Fatalf("check after apply: status %s, %d targets; want in-sync, 4", doc.Status, len(doc.Targets))
	}

	vc := labVCenter(t, lab)
	for _, tc := range []struct {
		name  string
		brk   func(ctx context.Context) error
		drift wantDrift
		// fix is what the admin must do before apply repairs the rest.
		fix func(ctx context.Context) error
		// prune: the repair is `push apply --prune`.
		prune bool
	}{{
		name:  "network recreated by push with another ip-range",
		brk:   labShell(lab, "kasm-agent-1", "docker network rm z_vlan150 && "+recreate("z_vlan150", "192.0.2.96/28", pushLabel)),
		drift: wantDrift{"kasm-agent-1", "Docker network", "z_vlan150", "ip-range 192.0.2.16/28", "ip-range 192.0.2.96/28", false},
	}, {
		// Not push's network: apply refuses to delete it, and check says so.
		name:  "network recreated by hand with another ip-range",
		brk:   labShell(lab, "kasm-agent-2", "docker network rm z_vlan150 && "+recreate("z_vlan150", "192.0.2.96/28", "")),
		drift: wantDrift{"kasm-agent-2", "Docker network", "z_vlan150", "ip-range 192.0.2.32/28", "ip-range 192.0.2.96/28", false},
		fix:   labShell(lab, "kasm-agent-2", "docker network rm z_vlan150"),
	}, {
		// Push's, but no longer in the inventory: extra, removed by --prune.
		name:  "network the inventory no longer wants",
		brk:   labShell(lab, "kasm-agent-3", "docker network create --label "+pushLabel+" z_old"),
		drift: wantDrift{"kasm-agent-3", "Docker network", "z_old", "absent", "bridge", true},
		prune: true,
	}, {
		name:  "SNAT rule deleted",
		brk:   labShell(lab, "kasm-agent-2", "nft flush chain ip push postrouting"),
		drift: wantDrift{"kasm-agent-2", "SNAT", "z_custom_a", "198.51.100.112", "", false},
	}, {
		name:  "trunk NIC down",
		brk:   labShell(lab, "kasm-agent-3", "ip link set eth1 down"),
		drift: wantDrift{"kasm-agent-3", "trunk NIC", "eth1", "up", "down", false},
	}, {
		name:  "8021q persistence removed",
		brk:   labShell(lab, "kasm-agent-1", "rm /etc/modules-load.d/push-8021q.conf"),
		drift: wantDrift{"kasm-agent-1", "8021q", "push-8021q.conf", "", "", false},
	}, {
		name:  "vSphere trunk ranges changed",
		brk:   func(ctx context.Context) error { return vc.setTrunkRanges(ctx, "kasm-trunk", 150, 155) },
		drift: wantDrift{"lab/kasm", "port group", "kasm-trunk", "150,160-169", "150-155", false},
	}, {
		name:  "VM trunk NIC removed",
		brk:   func(ctx context.Context) error { return vc.removeNIC(ctx, "kasm-agent-2", "kasm-trunk") },
		drift: wantDrift{"lab/kasm", "VM NIC", "kasm-agent-2", "", "", false},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.brk(t.Context()); err != nil {
				t.Fatalf("break the lab: %v", err)
			}
			defer func() { // repair whatever happened, so that the next case starts converged
				if tc.fix != nil {
					if err := tc.fix(t.Context()); err != nil {
						t.Fatal(err)
					}
				}
				args := []string{"apply", inv}
				if tc.prune {
					args = []string{"apply", "--prune", inv}
				}
				if r := pushLab(t, nil, nil, args...); r.code != exitOK {
					t.Fatalf("repairing apply: exit %d", r.code)
				}
				if doc := checkJSON(t, inv, exitOK); doc.Status != "in-sync" {
					t.Fatalf("check after repair: %s", doc.Status)
				}
			}()
			assertDrift(t, checkJSON(t, inv, exitChanges), tc.drift)
		})
	}
}

const pushLabel = "com.kasmfleet.push.managed=true"

// recreate is the docker command that makes VLAN 150's network anew with
// ip-range r, carrying label when it is not empty.
func recreate(name, r, label string) string {
	cmd := "docker network create -d ipvlan --subnet 192.0.2.0/25 --gateway 192.0.2.1 --ip-range " + r +
		" -o ipvlan_mode=l2 -o parent=eth1.150 "
	if label != "" {
		cmd += "--label " + label + " "
	}
	return cmd + name
}

// assertDrift wants doc to hold want on its target and nothing anywhere
// else: every other target in sync.
func assertDrift(t *testing.T, doc checkDoc, want wantDrift) {
	t.Helper()
	if doc.Status != "drift" {
		t.Errorf("status %s, want drift", doc.Status)
	}
	found := false
	for _, tg := range doc.Targets {
		if tg.Name != want.target {
			if tg.Status != "in-sync" {
				t.Errorf("%s %s: %s, want in-sync (%d drifts)", tg.Kind, tg.Name, tg.Status, len(tg.Drifts))
			}
			continue
		}
		for _, d := range tg.Drifts {
			if d.Component == want.component && strings.Contains(d.Object, want.object) && d.Extra == want.extra &&
				strings.Contains(d.Expected, want.expected) && strings.Contains(d.Actual, want.actual) && d.Action != "" {
				found = true
			}
		}
	}
	if !found {
		t.Errorf("no %s drift of %q on %s (expected ~%q, actual ~%q) in %+v",
			want.component, want.object, want.target, want.expected, want.actual, doc.Targets)
	}
}

// checkJSON runs `push check --json` and wants exit code want.
func checkJSON(t *testing.T, inv string, want int) checkDoc {
	t.Helper()
	r := pushLab(t, nil, nil, "check", "--json", inv)
	if r.code != want {
		t.Fatalf("check: exit %d, want %d", r.code, want)
	}
	var doc checkDoc
	if err := json.Unmarshal([]byte(r.out), &doc); err != nil {
		t.Fatalf("check --json: %v", err)
	}
	return doc
}

func labShell(lab *labenv.Lab, agent, cmd string) func(context.Context) error {
	return func(ctx context.Context) error {
		out, err := lab.Run(ctx, agent, cmd)
		if err != nil {
			return fmt.Errorf("%s: %s: %w: %s", agent, cmd, err, out)
		}
		return nil
	}
}

// labVC changes the lab's vCenter behind push's back, through govmomi.
type labVC struct {
	c  *vim25.Client
	fi *find.Finder
}

func labVCenter(t *testing.T, lab *labenv.Lab) labVC {
	t.Helper()
	ctx := t.Context()
	u, err := soap.ParseURL(lab.VSphereURL())
	if err != nil {
		t.Fatal(err)
	}
	pw, err := lab.VSpherePassword()
	if err != nil {
		t.Fatal(err)
	}
	sc := soap.NewClient(u, false)
	if err := sc.SetRootCAs(lab.VSphereCAPath()); err != nil {
		t.Fatal(err)
	}
	c, err := vim25.NewClient(ctx, sc)
	if err != nil {
		t.Fatal(err)
	}
	sm := session.NewManager(c)
	if err := sm.Login(ctx, url.UserPassword(lab.VSphereUser(), pw)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sm.Logout(context.Background()) })
	fi := find.NewFinder(c, true)
	dc, err := fi.Datacenter(ctx, "Lab")
	if err != nil {
		t.Fatal(err)
	}
	return labVC{c: c, fi: fi.SetDatacenter(dc)}
}

func (v labVC) portGroup(ctx context.Context, name string) (mo.DistributedVirtualPortgroup, error) {
	var pg mo.DistributedVirtualPortgroup
	n, err := v.fi.Network(ctx, name)
	if err != nil {
		return pg, err
	}
	err = object.NewCommon(v.c, n.Reference()).Properties(ctx, n.Reference(), []string{"config"}, &pg)
	return pg, err
}

// setTrunkRanges makes the port group trunk one range of VLANs.
func (v labVC) setTrunkRanges(ctx context.Context, name string, start, end int32) error {
	pg, err := v.portGroup(ctx, name)
	if err != nil {
		return err
	}
	spec := types.DVPortgroupConfigSpec{ConfigVersion: pg.Config.ConfigVersion,
		DefaultPortConfig: &types.VMwareDVSPortSetting{Vlan: &types.VmwareDistributedVirtualSwitchTrunkVlanSpec{
			VlanId: []types.NumericRange{{Start: start, End: end}}}}}
	task, err := object.NewDistributedVirtualPortgroup(v.c, pg.Self).Reconfigure(ctx, spec)
	if err != nil {
		return err
	}
	return task.Wait(ctx)
}

// removeNIC removes the VM's adapters on the port group.
func (v labVC) removeNIC(ctx context.Context, vmName, pgName string) error {
	pg, err := v.portGroup(ctx, pgName)
	if err != nil {
		return err
	}
	vm, err := v.fi.VirtualMachine(ctx, vmName)
	if err != nil {
		return err
	}
	devices, err := vm.Device(ctx)
	if err != nil {
		return err
	}
	var change []types.BaseVirtualDeviceConfigSpec
	for _, d := range devices {
		card, ok := d.(types.BaseVirtualEthernetCard)
		if !ok {
			continue
		}
		b, ok := card.GetVirtualEthernetCard().Backing.(*types.VirtualEthernetCardDistributedVirtualPortBackingInfo)
		if ok && b.Port.PortgroupKey == pg.Config.Key {
			change = append(change, &types.VirtualDeviceConfigSpec{Operation: types.VirtualDeviceConfigSpecOperationRemove, Device: d})
		}
	}
	if len(change) == 0 {
		return fmt.Errorf("%s has no NIC on %s", vmName, pgName)
	}
	task, err := vm.Reconfigure(ctx, types.VirtualMachineConfigSpec{DeviceChange: change})
	if err != nil {
		return err
	}
	return task.Wait(ctx)
}
