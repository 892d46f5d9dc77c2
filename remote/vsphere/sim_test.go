package vsphere

import (
	"context"
	"crypto/tls"
	"net/url"
	"testing"
	"time"

	"github.com/kasmfleet/push/remote/proto"
	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// The simulator's login; the password has characters that URL encoding
// changes, so that an escaped copy in an error would be caught too.
const (
	simUser     = "administrator@vsphere.local"
	simPassword = "Sup3r/s3cret%pa55 wörd@vc"
)

// sim is an in-process vcsim with the VPX model (datacenter DC0, switch
// DVS0 with port group DC0_DVPG0, powered-on VMs DC0_H0_VM0,
// DC0_H0_VM1, DC0_C0_RP0_VM0, DC0_C0_RP0_VM1), TLS on, and a login of
// its own.
type sim struct {
	model  *simulator.Model
	server *simulator.Server
	cfg    Config // verified TLS through the simulator's certificate
	admin  *govmomi.Client
}

func newSim(t *testing.T) *sim {
	t.Helper()
	model := simulator.VPX()
	if err := model.Create(); err != nil {
		t.Fatal(err)
	}
	model.Service.Listen = &url.URL{User: url.UserPassword(simUser, simPassword)}
	model.Service.TLS = new(tls.Config)
	server := model.Service.NewServer()
	t.Cleanup(func() {
		server.Close()
		model.Remove()
	})
	ca, err := server.CertificateFile()
	if err != nil {
		t.Fatal(err)
	}
	u := *server.URL
	u.User = nil
	ctx := testCtx(t)
	admin, err := govmomi.NewClient(ctx, server.URL, true)
	if err != nil {
		t.Fatal(err)
	}
	return &sim{
		model:  model,
		server: server,
		cfg:    Config{URL: u.String(), Username: simUser, Password: simPassword, CAFile: ca},
		admin:  admin,
	}
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func (s *sim) connect(t *testing.T) *Client {
	t.Helper()
	c, err := Connect(testCtx(t), s.cfg)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c
}

func trunkSpec(vms ...string) proto.VSphereSpec {
	spec := proto.VSphereSpec{
		Server: "vc", URL: "ignored", Datacenter: "DC0", Trunk: "kasm",
		Switch: "DVS0", PortGroup: "kasm-trunk",
		VLANs: []proto.Range{{Start: 160, End: 169}, {Start: 150, End: 150}},
	}
	for _, vm := range vms {
		spec.VMs = append(spec.VMs, proto.TrunkVM{Agent: "agent-" + vm, VM: vm})
	}
	return spec
}

// Independent read back through govmomi, not through the package.

func (s *sim) finder(t *testing.T) *find.Finder {
	f := find.NewFinder(s.admin.Client, true)
	dc, err := f.Datacenter(testCtx(t), "DC0")
	if err != nil {
		t.Fatal(err)
	}
	return f.SetDatacenter(dc)
}

func (s *sim) portGroup(t *testing.T, name string) mo.DistributedVirtualPortgroup {
	t.Helper()
	ctx := testCtx(t)
	n, err := s.finder(t).Network(ctx, name)
	if err != nil {
		t.Fatalf("port group %s: %v", name, err)
	}
	var pg mo.DistributedVirtualPortgroup
	if err := s.admin.PropertyCollector().RetrieveOne(ctx, n.Reference(), []string{"config"}, &pg); err != nil {
		t.Fatal(err)
	}
	return pg
}

func (s *sim) vm(t *testing.T, name string) *object.VirtualMachine {
	t.Helper()
	vm, err := s.finder(t).VirtualMachine(testCtx(t), name)
	if err != nil {
		t.Fatal(err)
	}
	return vm
}

// nicsOn lists the VM's adapters on port group key.
func (s *sim) nicsOn(t *testing.T, vm string, key string) []types.BaseVirtualEthernetCard {
	t.Helper()
	return s.nicsWhere(t, vm, func(b types.BaseVirtualDeviceBackingInfo) bool {
		p, ok := b.(*types.VirtualEthernetCardDistributedVirtualPortBackingInfo)
		return ok && p.Port.PortgroupKey == key
	})
}

// nicsWhere lists the VM's adapters whose backing matches.
func (s *sim) nicsWhere(t *testing.T, vm string, match func(types.BaseVirtualDeviceBackingInfo) bool) []types.BaseVirtualEthernetCard {
	t.Helper()
	devices, err := s.vm(t, vm).Device(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	var out []types.BaseVirtualEthernetCard
	for _, d := range devices {
		if card, ok := d.(types.BaseVirtualEthernetCard); ok && match(card.GetVirtualEthernetCard().Backing) {
			out = append(out, card)
		}
	}
	return out
}

func (s *sim) reconfigureVM(t *testing.T, vm string, op types.VirtualDeviceConfigSpecOperation, dev types.BaseVirtualDevice) {
	t.Helper()
	ctx := testCtx(t)
	task, err := s.vm(t, vm).Reconfigure(ctx, types.VirtualMachineConfigSpec{DeviceChange: []types.BaseVirtualDeviceConfigSpec{
		&types.VirtualDeviceConfigSpec{Operation: op, Device: dev},
	}})
	if err == nil {
		err = task.Wait(ctx)
	}
	if err != nil {
		t.Fatal(err)
	}
}

func (s *sim) setTrunk(t *testing.T, pgName string, vlan types.BaseVmwareDistributedVirtualSwitchVlanSpec, binding string) {
	t.Helper()
	ctx := testCtx(t)
	pg := s.portGroup(t, pgName)
	spec := types.DVPortgroupConfigSpec{
		ConfigVersion: pg.Config.ConfigVersion, Name: pg.Config.Name, Type: binding,
		NumPorts: pg.Config.NumPorts, AutoExpand: pg.Config.AutoExpand,
		DefaultPortConfig: &types.VMwareDVSPortSetting{Vlan: vlan},
	}
	task, err := object.NewDistributedVirtualPortgroup(s.admin.Client, pg.Self).Reconfigure(ctx, spec)
	if err == nil {
		err = task.Wait(ctx)
	}
	if err != nil {
		t.Fatal(err)
	}
}

func (s *sim) power(t *testing.T, vm string, on bool) {
	t.Helper()
	ctx := testCtx(t)
	v := s.vm(t, vm)
	var task *object.Task
	var err error
	if on {
		task, err = v.PowerOn(ctx)
	} else {
		task, err = v.PowerOff(ctx)
	}
	if err == nil {
		err = task.Wait(ctx)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// createDVS adds a distributed switch with no host to DC0.
func (s *sim) createDVS(t *testing.T, name string) {
	t.Helper()
	ctx := testCtx(t)
	dc, err := s.finder(t).Datacenter(ctx, "DC0")
	if err != nil {
		t.Fatal(err)
	}
	folders, err := dc.Folders(ctx)
	if err != nil {
		t.Fatal(err)
	}
	spec := types.DVSCreateSpec{ConfigSpec: &types.VMwareDVSConfigSpec{DVSConfigSpec: types.DVSConfigSpec{Name: name}}}
	task, err := folders.NetworkFolder.CreateDVS(ctx, spec)
	if err == nil {
		err = task.Wait(ctx)
	}
	if err != nil {
		t.Fatal(err)
	}
}
