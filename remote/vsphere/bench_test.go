package vsphere

import (
	"context"
	"crypto/tls"
	"net/url"
	"testing"
	"time"

	"github.com/kasmfleet/push/remote/proto"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/simulator"
)

// BenchmarkApplyFleet converges a trunk over every VM of a larger
// simulator (4 hosts, 200 VMs): one create and 200 NIC adds, then an
// observe of the converged fleet. go test -run - -bench ApplyFleet -benchtime 1x
func BenchmarkApplyFleet(b *testing.B) {
	b.StopTimer()
	for range b.N {
		model := simulator.VPX()
		model.Machine = 50
		if err := model.Create(); err != nil {
			b.Fatal(err)
		}
		model.Service.Listen = &url.URL{User: url.UserPassword(simUser, simPassword)}
		model.Service.TLS = new(tls.Config)
		server := model.Service.NewServer()
		ctx := context.Background()
		c, err := Connect(ctx, Config{URL: server.URL.Host, Username: simUser, Password: simPassword, Insecure: true})
		if err != nil {
			b.Fatal(err)
		}
		spec := proto.VSphereSpec{Datacenter: "DC0", Trunk: "kasm", Switch: "DVS0", PortGroup: "kasm-trunk",
			VLANs: []proto.Range{{Start: 150, End: 169}}}
		vms, err := find.NewFinder(c.vc).VirtualMachineList(ctx, "/DC0/vm/*")
		if err != nil {
			b.Fatal(err)
		}
		for _, vm := range vms {
			spec.VMs = append(spec.VMs, proto.TrunkVM{Agent: vm.Name(), VM: vm.Name()})
		}
		b.StartTimer()
		t0 := time.Now()
		r, err := c.Apply(ctx, spec, nil)
		b.Logf("apply %d VMs: %s", len(vms), time.Since(t0))
		t0 = time.Now()
		if err != nil || len(r.NICs) != len(vms) {
			b.Fatalf("apply: %v, %d NICs for %d VMs", err, len(r.NICs), len(vms))
		}
		o, err := c.Observe(ctx, spec)
		if err != nil || len(Diff(spec, o)) != 0 {
			b.Fatalf("observe after apply: %v", err)
		}
		b.Logf("observe: %s", time.Since(t0))
		b.StopTimer()
		b.ReportMetric(float64(len(vms)), "vms")
		_ = c.Close(ctx)
		server.Close()
		model.Remove()
	}
}
