package helper

import (
	"context"
	"fmt"
	"time"

	"github.com/kasmfleet/push/remote/helper/docker"
	"github.com/kasmfleet/push/remote/helper/plan"
	"github.com/kasmfleet/push/remote/proto"
)

// sessionPoll is how often a plan that waits for sessions re-reads Docker.
const sessionPoll = time.Second

// waitForSessions re-reads Docker's networks every sessionPoll, for up
// to opts.WaitForSessions seconds, until no container blocks a step, and
// returns the plan of the last read (obs is updated with it). A drained
// host's last session is noticed within a second, in one exec.
func (h *Helper) waitForSessions(ctx context.Context, spec proto.HostSpec, cl *docker.Client, obs *observation, steps []plan.Step, opts proto.Options) ([]plan.Step, error) {
	deadline := time.NewTimer(time.Duration(opts.WaitForSessions) * time.Second)
	defer deadline.Stop()
	tick := time.NewTicker(sessionPoll)
	defer tick.Stop()
	for len(proto.Blocking(actions(steps))) > 0 {
		select {
		case <-ctx.Done():
			return steps, nil
		case <-deadline.C:
			return steps, nil
		case <-tick.C:
		}
		nets, v, err := h.readNetworks(ctx, cl, spec, func(n docker.Network) bool {
			return needsContainers(spec, obs.Trunk.Name, obs.Links, n)
		})
		if err != nil {
			return steps, proto.WithCode(proto.CodeDockerUnavailable, fmt.Errorf("docker, waiting for sessions to end: %w", err))
		}
		obs.Networks, obs.Docker = nets, v
		steps = plan.Plan(spec, obs.Observed, opts)
	}
	return steps, nil
}
