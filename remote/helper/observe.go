package helper

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/kasmfleet/push/remote/helper/docker"
	"github.com/kasmfleet/push/remote/helper/hostnet"
	"github.com/kasmfleet/push/remote/helper/plan"
	"github.com/kasmfleet/push/remote/proto"
)

// observation is what one read of the host found.
type observation struct {
	plan.Observed
	Docker docker.Version
	// DockerErr is set when the Docker API could not be read.
	DockerErr error
}

// observe reads everything planning needs for spec. It changes nothing.
// With full (facts), every relevant Docker network is inspected for its
// containers and hand-made SNAT rules are read whatever the spec;
// otherwise only the networks the planner may replace or remove, and
// hand-made SNAT rules only when the spec has egress.
func (h *Helper) observe(ctx context.Context, spec proto.HostSpec, cl *docker.Client, full bool) (observation, error) {
	var o observation
	c := h.cfg
	o.NetConfig = c.netcfg().Detect()

	// One read of links and addresses serves every question below.
	view, err := c.Net.Read()
	if err != nil {
		return o, err
	}
	o.Addresses = view.Addresses()
	if conn := h.sshConnection(); conn != "" {
		s, err := view.Session(conn)
		if err != nil {
			return o, fmt.Errorf("find the SSH session's interface: %w", err)
		}
		o.SessionLinks, o.SessionAddr = s.Links, s.Server
	}

	if spec.Trunk != nil {
		o.ModuleLoaded = c.kmod().Loaded(plan.Module)
		o.ModulePersisted = c.kmod().Persisted(plan.Module)
		t, err := view.ResolveTrunk(spec.Trunk.NIC, spec.Trunk.MAC)
		if err != nil {
			return o, err
		}
		o.Trunk = t
		st := c.netcfg().Check(o.NetConfig, t.Name)
		o.TrunkPersisted, o.TrunkPersistNote = st.Persisted, st.Detail
	}

	o.Links = map[string]bool{}
	for _, v := range spec.VLANs {
		parent := docker.Parent(o.Trunk.Name, v.VID)
		_, o.Links[parent] = view.LinkByName(parent)
	}

	o.Networks, o.Docker, o.DockerErr = h.readNetworks(ctx, cl, spec, func(n docker.Network) bool {
		return full || needsContainers(spec, o.Trunk.Name, o.Links, n)
	})

	o.SNAT, err = c.snat().Read()
	if err != nil {
		return o, err
	}
	if full || egress(spec) && c.handsnat().Present() {
		if o.HandSNAT, err = c.handsnat().Read(ctx); err != nil {
			return o, fmt.Errorf("read hand-made SNAT rules: %w", err)
		}
	}
	o.Applied, err = c.state().LoadApplied()
	if err != nil {
		// A damaged record is replaced by the next apply.
		o.Applied = nil
	}
	o.AppliedCurrent = c.state().AppliedIs(spec)
	o.UnitInstalled = c.state().UnitInstalled()
	o.LinkCurrent = c.state().LinkCurrent(h.selfSHA())
	return o, nil
}

// egress reports whether spec source-NATs a bridge: only then can a
// hand-made SNAT rule matter to the plan (adopt it, or refuse the host),
// and only then, when the kernel holds a candidate (handsnat.Present),
// does observe run iptables-save and nft to read them (two programs, most
// of a no-change check's work on the host). Facts read them always (push
// import).
func egress(spec proto.HostSpec) bool {
	for _, b := range spec.Bridges {
		if b.SourceIP != "" {
			return true
		}
	}
	return false
}

// needsContainers tells whether the planner may need n's containers:
// it differs from the spec, lost its parent, or is push's and unwanted.
func needsContainers(spec proto.HostSpec, trunkNIC string, links map[string]bool, n docker.Network) bool {
	for _, want := range plan.Desired(spec, trunkNIC) {
		if want.Name == n.Name {
			p := want.Options[docker.OptParent]
			return len(docker.Diff(want, n)) > 0 || (p != "" && !links[p])
		}
	}
	return n.Owned()
}

// readNetworks lists Docker's networks push cares about (named in the
// spec, or push's: labelled or adopted); those inspect says yes to are
// inspected for their containers (one more API call each).
func (h *Helper) readNetworks(ctx context.Context, cl *docker.Client, spec proto.HostSpec, inspect func(docker.Network) bool) (map[string]docker.Network, docker.Version, error) {
	adopted, err := h.cfg.state().LoadAdopted()
	if err != nil {
		return nil, docker.Version{}, err
	}
	v, err := cl.Negotiate(ctx)
	if err != nil {
		return nil, v, err
	}
	list, err := cl.Networks(ctx)
	if err != nil {
		return nil, v, err
	}
	named := map[string]bool{}
	for _, n := range spec.VLANs {
		named[n.Name] = true
	}
	for _, n := range spec.Bridges {
		named[n.Name] = true
	}
	out := map[string]docker.Network{}
	for _, n := range list {
		n.Adopted = adopted.Owns(n.Name, n.ID)
		if !named[n.Name] && !n.Owned() {
			continue
		}
		if inspect != nil && inspect(n) {
			full, err := cl.Inspect(ctx, n.ID)
			if err != nil {
				return nil, v, err
			}
			full.Adopted = n.Adopted
			n = full
		}
		out[n.Name] = n
	}
	return out, v, nil
}

func (h *Helper) sshConnection() string {
	if h.cfg.SSHConnection != "" {
		return h.cfg.SSHConnection
	}
	return hostnet.SSHConnection(h.cfg.Root + "/proc")
}

// facts turns an observation into the protocol's report.
func (h *Helper) facts(spec proto.HostSpec, o observation) *proto.Facts {
	f := &proto.Facts{NetConfig: string(o.NetConfig), RestoreUnit: o.UnitInstalled && o.LinkCurrent}
	f.Hostname, _ = os.Hostname()
	var u unix.Utsname
	if unix.Uname(&u) == nil {
		f.Kernel = unix.ByteSliceToString(u.Release[:])
	}
	if len(o.SessionLinks) > 0 {
		f.SSHInterface = o.SessionLinks[0]
	}
	f.Module8021q = proto.ModuleFacts{Loaded: o.ModuleLoaded, Persisted: o.ModulePersisted}
	if spec.Trunk != nil {
		t := &proto.TrunkFacts{NIC: o.Trunk.Name, MAC: o.Trunk.MAC, Up: o.Trunk.Up, Persisted: o.TrunkPersisted}
		for _, a := range o.Trunk.Addrs {
			t.Addresses = append(t.Addresses, a.String())
		}
		f.Trunk = t
	}
	f.Docker.Version = o.Docker.Version
	for _, n := range plan.SortedNetworks(o.Networks) {
		f.Docker.Networks = append(f.Docker.Networks, n.Facts())
	}
	f.SNAT = o.SNAT.Rules
	for _, r := range o.HandSNAT {
		hr := proto.HandSNATRule{Subnet: r.Subnet.String(), SourceIP: r.SourceIP.String(), Origin: r.Origin, Rule: r.Text}
		for _, c := range r.Boot {
			hr.BootCopies = append(hr.BootCopies, c.String())
		}
		f.HandSNAT = append(f.HandSNAT, hr)
	}
	wanted := map[netip.Addr]bool{}
	for _, b := range spec.Bridges {
		if a, err := netip.ParseAddr(b.SourceIP); err == nil {
			wanted[a] = true
		}
	}
	for _, a := range o.Addresses {
		if wanted[a.Prefix.Addr()] {
			f.Addresses = append(f.Addresses, proto.InterfaceAddr{Interface: a.Link, Address: a.Prefix.String()})
		}
	}
	return f
}

func joinErrs(errs []string) string { return strings.Join(errs, "; ") }
