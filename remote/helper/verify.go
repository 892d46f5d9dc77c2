package helper

import (
	"context"
	"fmt"
	"net/netip"
	"sync"

	"github.com/kasmfleet/push/remote/helper/docker"
	"github.com/kasmfleet/push/remote/helper/verify"
	"github.com/kasmfleet/push/remote/proto"
)

// verify probes every VLAN network and every bridge network with a
// source IP and a verify URL. The probes are independent (a namespace
// and a link each, on different parents and bridges) and mostly wait on
// the network, so they run at once; their checks keep the spec's order.
//
// listed are the networks as Docker lists them, when this run has just
// read them (apply's observe or read back); nil reads them now. A
// network push created holds its probe's address reserved (an auxiliary
// address, which the list shows); only a probe of one without (made by
// hand, or by an older push) inspects it for its endpoints, so as not to
// take a session's address. On a lab agent a no-change apply with verify
// then reads Docker twice (its version and the list), not eight times.
func (h *Helper) verify(ctx context.Context, spec proto.HostSpec, cl *docker.Client, listed map[string]docker.Network, res *proto.Result) error {
	p := verify.Prober{Handle: h.cfg.Net.Handle}
	var trunk string
	if len(spec.VLANs) > 0 {
		t, err := h.cfg.Net.ResolveTrunk(spec.Trunk.NIC, spec.Trunk.MAC)
		if err != nil {
			return err
		}
		trunk = t.Name
	}
	nets := listed
	if nets == nil && (len(spec.VLANs) > 0 || probedBridges(spec)) {
		var err error
		if nets, _, err = h.readNetworks(ctx, cl, spec, nil); err != nil {
			return err
		}
	}
	// forProbe is n ready for a probe from address probe: as listed when
	// Docker holds probe reserved, else inspected for its endpoints.
	forProbe := func(n docker.Network, probe netip.Addr) (docker.Network, bool, error) {
		if probe.IsValid() && n.Aux[docker.ProbeAux] == probe.String() {
			return n, true, nil
		}
		if n.ID == "" { // no such network: its probe says so
			return n, false, nil
		}
		n, err := cl.Inspect(ctx, n.ID)
		return n, false, err
	}
	var probes []func() []proto.Check
	for _, v := range spec.VLANs {
		want, _ := netip.ParseAddr(v.ProbeIP)
		n, reserved, err := forProbe(nets[v.Name], want)
		if err != nil {
			return err
		}
		probes = append(probes, func() []proto.Check {
			return p.VLAN(ctx, v, docker.Parent(trunk, v.VID), verify.ProbeAddrs(v, reserved, inUse(n)))
		})
	}
	for _, b := range spec.Bridges {
		if b.SourceIP == "" || b.VerifyURL == "" {
			continue
		}
		n, ok := nets[b.Name]
		probe := docker.BridgeProbe(b)
		n, reserved, err := forProbe(n, probe)
		if err != nil {
			return err
		}
		br, err := bridgeOf(b, n)
		if reserved {
			br.Probe = probe
		}
		if !ok || err != nil {
			if err == nil {
				err = fmt.Errorf("docker network %s does not exist", b.Name)
			}
			check := proto.Check{Network: b.Name, What: "endpoint " + b.VerifyURL + " sees the SNAT source address", Want: b.SourceIP, Error: err.Error()}
			probes = append(probes, func() []proto.Check { return []proto.Check{check} })
			continue
		}
		probes = append(probes, func() []proto.Check { return p.SNAT(ctx, br, b.SourceIP, b.VerifyURL) })
	}
	res.Checks = append(res.Checks, runProbes(probes)...)
	return nil
}

// maxProbes bounds the probes running at once on a host with many
// networks.
const maxProbes = 8

// runProbes runs probes at once, at most maxProbes at a time, and
// returns their checks in the probes' order.
func runProbes(probes []func() []proto.Check) []proto.Check {
	out := make([][]proto.Check, len(probes))
	sem := make(chan struct{}, maxProbes)
	var wg sync.WaitGroup
	for i, probe := range probes {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			out[i] = probe()
		}()
	}
	wg.Wait()
	var checks []proto.Check
	for _, c := range out {
		checks = append(checks, c...)
	}
	return checks
}

func probedBridges(spec proto.HostSpec) bool {
	for _, b := range spec.Bridges {
		if b.SourceIP != "" && b.VerifyURL != "" {
			return true
		}
	}
	return false
}

func bridgeOf(b proto.BridgeNetwork, n docker.Network) (verify.Bridge, error) {
	out := verify.Bridge{Network: b.Name, Bridge: b.Bridge}
	if b.BridgeDefault {
		out.Bridge = n.BridgeName()
	}
	var err error
	if out.Subnet, err = netip.ParsePrefix(n.Subnet); err != nil {
		return out, fmt.Errorf("network %s: subnet %q: %w", b.Name, n.Subnet, err)
	}
	if n.Gateway != "" {
		if out.Gateway, err = netip.ParseAddr(n.Gateway); err != nil {
			return out, fmt.Errorf("network %s: gateway %q: %w", b.Name, n.Gateway, err)
		}
	}
	for _, a := range n.ContainerAddrs {
		if ip, err := netip.ParseAddr(a); err == nil {
			out.InUse = append(out.InUse, ip)
		}
	}
	return out, nil
}

// inUse are the addresses n's endpoints and auxiliary addresses hold.
func inUse(n docker.Network) []netip.Addr {
	var out []netip.Addr
	for _, a := range append(append([]string(nil), n.ContainerAddrs...), auxValues(n)...) {
		if ip, err := netip.ParseAddr(a); err == nil {
			out = append(out, ip)
		}
	}
	return out
}

func auxValues(n docker.Network) []string {
	var out []string
	for _, v := range n.Aux {
		out = append(out, v)
	}
	return out
}
