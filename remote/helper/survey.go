package helper

import (
	"context"
	"fmt"
	"strings"

	"github.com/kasmfleet/push/remote/helper/docker"
	"github.com/kasmfleet/push/remote/proto"
)

// survey adds to f what push import needs besides the spec's objects:
// every Docker network, every address, and the NIC that carries the VLAN
// networks (the parent of NIC.ID) as the trunk. It changes nothing. A
// Docker that does not answer is a fact of the host, not a failure: import
// writes what it could read and says why the networks are missing.
func (h *Helper) survey(ctx context.Context, cl *docker.Client, o observation, f *proto.Facts) error {
	f.Addresses = f.Addresses[:0]
	for _, a := range o.Addresses {
		f.Addresses = append(f.Addresses, proto.InterfaceAddr{Interface: a.Link, Address: a.Prefix.String()})
	}
	if o.DockerErr != nil {
		f.Docker.Unreachable = o.DockerErr.Error()
		return nil
	}
	list, err := cl.Networks(ctx)
	if err != nil {
		return fmt.Errorf("docker: list networks: %w", err)
	}
	f.Docker.Networks = f.Docker.Networks[:0]
	for _, n := range list {
		f.Docker.Networks = append(f.Docker.Networks, n.Facts())
		nic, _, vlan := strings.Cut(n.Options[docker.OptParent], ".")
		if !vlan || f.Trunk != nil {
			continue
		}
		l, ok, err := h.cfg.Net.LinkByName(nic)
		if err != nil {
			return err
		}
		if ok {
			f.Trunk = &proto.TrunkFacts{NIC: l.Name, MAC: l.MAC, Up: l.Up}
		}
	}
	return nil
}
