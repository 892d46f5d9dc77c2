package helper

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/kasmfleet/push/remote/helper/docker"
)

// createNetwork creates n and, for a VLAN network, checks that Docker
// made the VLAN sub-interface (push never makes it itself: Docker then
// would not own it, and the seed warns this breaks things). The trunk is
// set up again just before: Docker refuses a parent whose link is down,
// and something else (an interrupted earlier create that Docker rolls
// back, a network manager) may have taken it down since planning.
func (h *Helper) createNetwork(ctx context.Context, n docker.Network, cl *docker.Client) error {
	parent := n.Options[docker.OptParent]
	trunk, _, _ := strings.Cut(parent, ".")
	create := func() error {
		if trunk != "" {
			if err := h.cfg.Net.SetUp(trunk); err != nil {
				return err
			}
		}
		_, err := cl.Create(ctx, n)
		return err
	}
	err := create()
	if trunk != "" && docker.IsParentDown(err) {
		err = create()
	}
	if docker.IsInUse(err) {
		err = h.settle(ctx, n, cl, create, err)
	}
	if err != nil {
		return err
	}
	if parent == "" {
		return nil
	}
	if _, ok, err := h.cfg.Net.LinkByName(parent); err != nil {
		return err
	} else if !ok {
		return fmt.Errorf("docker created network %s but not its parent %s", n.Name, parent)
	}
	return nil
}

// settle follows up a create Docker refused because the name or the
// address pool is in use. Docker finishes a create whose client went
// away (a helper killed mid-apply) on its own, and lists the network
// only once it is done; until then the name and the pool are held by a
// network nobody can see. So settle looks again until one of these
// holds, or SettleTimeout passes:
//   - the network exists and is n: done (the earlier run's create);
//   - it exists and differs: an error saying how;
//   - another network holds the pool: an error naming it;
//   - a create succeeds (Docker rolled the other one back).
func (h *Helper) settle(ctx context.Context, n docker.Network, cl *docker.Client, create func() error, refused error) error {
	deadline := time.Now().Add(h.cfg.SettleTimeout)
	wait := 100 * time.Millisecond
	for {
		got, err := cl.Inspect(ctx, n.Name)
		if err == nil {
			if !got.Managed() {
				return fmt.Errorf("%w; network %s appeared meanwhile, not created by push", refused, n.Name)
			}
			if d := docker.Diff(n, got); len(d) > 0 {
				return fmt.Errorf("%w; network %s appeared meanwhile and differs: %s", refused, n.Name, strings.Join(d, ", "))
			}
			return nil
		}
		holder, err := poolHolder(ctx, cl, n)
		if err != nil {
			return err
		}
		if holder != "" {
			return fmt.Errorf("%w; the address pool %s is held by docker network %s", refused, n.Subnet, holder)
		}
		err = create()
		if err == nil || !docker.IsInUse(err) {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%w; after %s no network holds the name or the pool (docker may still be finishing an interrupted create; run apply again)", err, h.cfg.SettleTimeout)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w; %w", refused, ctx.Err())
		case <-time.After(wait):
		}
		wait = min(2*wait, 2*time.Second)
	}
}

// poolHolder names the network other than n whose subnet overlaps n's
// ("" when none does, or n leaves the subnet to Docker).
func poolHolder(ctx context.Context, cl *docker.Client, n docker.Network) (string, error) {
	want, err := netip.ParsePrefix(n.Subnet)
	if err != nil {
		return "", nil
	}
	list, err := cl.Networks(ctx)
	if err != nil {
		return "", err
	}
	for _, o := range list {
		p, err := netip.ParsePrefix(o.Subnet)
		if err == nil && o.Name != n.Name && p.Overlaps(want) {
			return o.Name, nil
		}
	}
	return "", nil
}
