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
// networks (the parent of NIC.ID) as the trunk. It changes nothing.
func (h *Helper) survey(ctx context.Context, cl *docker.Client, o observation, f *proto.Facts) error {
	if o.DockerErr != nil {
		return proto.WithCode(proto.CodeDockerUnavailable, fmt.Errorf("docker: %w", o.DockerErr))
	}
	list, err := cl.Networks(ctx)
	if err != nil {
		return err
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
	f.Addresses = f.Addresses[:0]
	for _, a := range o.Addresses {
		f.Addresses = append(f.Addresses, proto.InterfaceAddr{Interface: a.Link, Address: a.Prefix.String()})
	}
	return nil
}
