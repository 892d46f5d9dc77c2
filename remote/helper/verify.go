package helper

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/kasmfleet/push/remote/helper/docker"
	"github.com/kasmfleet/push/remote/helper/verify"
	"github.com/kasmfleet/push/remote/proto"
)

// verify probes every VLAN network and every bridge network with a
// source IP and a verify URL.
func (h *Helper) verify(ctx context.Context, spec proto.HostSpec, cl *docker.Client, res *proto.Result) error {
	p := verify.Prober{Handle: h.cfg.Net.Handle}
	var nets map[string]docker.Network
	read := func() error {
		var err error
		if nets == nil {
			nets, _, err = h.readNetworks(ctx, cl, spec, func(docker.Network) bool { return true })
		}
		return err
	}
	if len(spec.VLANs) > 0 {
		t, err := h.cfg.Net.ResolveTrunk(spec.Trunk.NIC, spec.Trunk.MAC)
		if err != nil {
			return err
		}
		if err := read(); err != nil {
			return err
		}
		for _, v := range spec.VLANs {
			n := nets[v.Name]
			reserved := n.Aux[docker.ProbeAux] == v.ProbeIP
			res.Checks = append(res.Checks, p.VLAN(ctx, v, docker.Parent(t.Name, v.VID), verify.ProbeAddrs(v, reserved, inUse(n)))...)
		}
	}
	for _, b := range spec.Bridges {
		if b.SourceIP == "" || b.VerifyURL == "" {
			continue
		}
		if err := read(); err != nil {
			return err
		}
		n, ok := nets[b.Name]
		br, err := bridgeOf(b, n)
		if !ok || err != nil {
			if err == nil {
				err = fmt.Errorf("docker network %s does not exist", b.Name)
			}
			res.Checks = append(res.Checks, proto.Check{Network: b.Name, What: "endpoint " + b.VerifyURL + " sees the SNAT source address", Want: b.SourceIP, Error: err.Error()})
			continue
		}
		res.Checks = append(res.Checks, p.SNAT(ctx, br, b.SourceIP, b.VerifyURL)...)
	}
	return nil
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
