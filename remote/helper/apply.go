package helper

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"slices"

	"github.com/kasmfleet/push/remote/helper/docker"
	"github.com/kasmfleet/push/remote/helper/handsnat"
	"github.com/kasmfleet/push/remote/helper/hostnet"
	"github.com/kasmfleet/push/remote/helper/plan"
	"github.com/kasmfleet/push/remote/proto"
)

// apply takes the pending steps in order. A step whose needs were not
// done is skipped; refused and failed-at-plan steps are left as they
// are. Every step is safe to repeat, so a run killed at any point is
// finished by the next one.
func (h *Helper) apply(ctx context.Context, spec proto.HostSpec, opts proto.Options, steps []plan.Step, cl *docker.Client) {
	leaveUnadopted(steps, opts)
	outcome := map[string]proto.Outcome{}
	for i := range steps {
		s := &steps[i]
		if s.Outcome == proto.OutcomePending {
			if missing := unmet(s.Needs, outcome); missing != "" {
				s.Outcome, s.Error = proto.OutcomeSkipped, "not attempted: "+missing+" was not done"
			} else if ctx.Err() != nil {
				s.Outcome, s.Error = proto.OutcomeSkipped, "not attempted: "+ctx.Err().Error()
			} else {
				h.trace("start %s %s", s.Kind, s.Target)
				began := h.started()
				if isSNAT(s.Kind) { // one table for all SNAT steps, at the first
					h.applySNAT(ctx, spec, opts, steps, cl)
				} else if err := h.take(ctx, spec, *s, cl); err != nil {
					s.Outcome, s.Error = proto.OutcomeFailed, err.Error()
				} else {
					s.Outcome = proto.OutcomeDone
				}
				s.MS = h.since(began)
				h.trace("end %s %s %s", s.Kind, s.Target, s.Outcome)
			}
		}
		outcome[s.Key()] = s.Outcome
	}
}

// anyPending says whether apply has a step to take.
func anyPending(steps []plan.Step) bool {
	return slices.ContainsFunc(steps, func(s plan.Step) bool { return s.Outcome == proto.OutcomePending })
}

// skipDocker marks the Docker network steps not attempted: Docker did
// not answer (err).
func skipDocker(steps []plan.Step, err error) {
	for i := range steps {
		switch steps[i].Kind {
		case proto.ActCreateNetwork, proto.ActReplaceNetwork, proto.ActRemoveNetwork:
			if steps[i].Outcome == proto.OutcomePending {
				steps[i].Outcome, steps[i].Error = proto.OutcomeSkipped, "not attempted: docker: "+err.Error()
			}
		}
	}
}

func unmet(needs []string, outcome map[string]proto.Outcome) string {
	for _, n := range needs {
		if outcome[n] != proto.OutcomeDone {
			return n
		}
	}
	return ""
}

func isSNAT(k proto.ActionKind) bool {
	return k == proto.ActAddSNAT || k == proto.ActRemoveSNAT || k == proto.ActAdoptSNAT
}

// NotAdopted is the error of an adopt step apply left alone.
const NotAdopted = "not adopted, left as it is: push apply --adopt (or adopt = true in the inventory) makes it push's"

// leaveUnadopted marks the adopt steps left alone when apply was not
// asked to adopt: nothing hand-made is modified.
func leaveUnadopted(steps []plan.Step, opts proto.Options) {
	if opts.Adopt {
		return
	}
	for i := range steps {
		s := &steps[i]
		if (s.Kind == proto.ActAdoptNetwork || s.Kind == proto.ActAdoptSNAT) && s.Outcome == proto.OutcomePending {
			s.Outcome, s.Error = proto.OutcomeLeft, NotAdopted
		}
	}
}

// take does one step.
func (h *Helper) take(ctx context.Context, spec proto.HostSpec, s plan.Step, cl *docker.Client) error {
	c := h.cfg
	switch s.Kind {
	case proto.ActLoadModule:
		if err := c.Run(ctx, "modprobe", s.Target); err != nil {
			return err
		}
		if !c.kmod().Loaded(s.Target) {
			return fmt.Errorf("modprobe %s succeeded but the module is not loaded", s.Target)
		}
		return nil
	case proto.ActPersistModule:
		return c.kmod().Persist(plan.Module)
	case proto.ActPersistTrunk:
		return c.netcfg().Persist(ctx, c.netcfg().Detect(), s.Link)
	case proto.ActTrunkFlush, proto.ActRemoveAddress:
		return c.Net.DelAddrs(s.Link, s.Addrs)
	case proto.ActTrunkUp:
		return c.Net.SetUp(s.Link)
	case proto.ActAddAddress:
		return c.Net.AddAddr(s.Link, s.Addrs[0])
	case proto.ActCreateNetwork:
		return h.createNetwork(ctx, *s.Network, cl)
	case proto.ActReplaceNetwork:
		if err := disconnect(ctx, cl, s); err != nil {
			return err
		}
		if err := cl.Remove(ctx, s.Target); err != nil {
			return err
		}
		if err := c.state().Forget(s.Target); err != nil {
			return err
		}
		return h.createNetwork(ctx, *s.Network, cl)
	case proto.ActRemoveNetwork:
		if err := disconnect(ctx, cl, s); err != nil {
			return err
		}
		if err := cl.Remove(ctx, s.Target); err != nil {
			return err
		}
		return c.state().Forget(s.Target)
	case proto.ActAdoptNetwork:
		return c.state().Adopt(s.Target, s.Network.ID)
	case proto.ActInstallUnit:
		return h.installUnit(ctx)
	case proto.ActWriteState:
		return c.state().SaveApplied(spec)
	}
	return fmt.Errorf("no way to take action %q", s.Kind)
}

// disconnect forces the step's containers off its network (ForceDisconnect).
func disconnect(ctx context.Context, cl *docker.Client, s plan.Step) error {
	for _, c := range s.Disconnect {
		if err := cl.Disconnect(ctx, s.Target, c); err != nil {
			return err
		}
	}
	return nil
}

func (h *Helper) installUnit(ctx context.Context) error {
	c := h.cfg
	sha := h.selfSHA()
	if sha == "" {
		return errors.New("cannot hash the helper's own executable")
	}
	if err := c.state().InstallBinary(c.Executable, sha); err != nil {
		return err
	}
	replaced, err := c.state().InstallUnit()
	if err != nil {
		return err
	}
	// Only on a host running systemd; a unit file alone is harmless.
	if _, err := os.Stat(c.Root + "/run/systemd/system"); err == nil && replaced {
		if err := c.Run(ctx, "systemctl", "daemon-reload"); err != nil {
			return err
		}
	}
	return nil
}

// applySNAT replaces push's table once for all SNAT steps. Subnets
// Docker chose are read back now that the networks exist; a rule whose
// subnet is still unknown, or whose source address is not on the host,
// is left out and its step fails.
func (h *Helper) applySNAT(ctx context.Context, spec proto.HostSpec, opts proto.Options, steps []plan.Step, cl *docker.Client) {
	fail := func(target string, err error) {
		for i := range steps {
			if isSNAT(steps[i].Kind) && steps[i].Outcome == proto.OutcomePending && (target == "" || steps[i].Target == target) {
				steps[i].Outcome, steps[i].Error = proto.OutcomeFailed, err.Error()
			}
		}
	}
	// Without Docker (restore at boot), only subnets the spec gives are
	// known; the rules of the others fail below.
	nets, _, dockerErr := h.readNetworks(ctx, cl, spec, nil)
	cur, err := h.cfg.snat().Read()
	if err != nil {
		fail("", err)
		return
	}
	addrs, err := h.cfg.Net.Addresses()
	if err != nil {
		fail("", err)
		return
	}
	rules, _ := plan.SNATRules(spec, nets, cur.Rules, opts.Prune)
	keep := rules
	for _, b := range plan.ResolveBridges(spec, nets).Bridges {
		if b.SourceIP == "" {
			continue
		}
		target := plan.SNATTarget + " " + b.Name
		if _, ok := hostnet.OwnerOf(addrs, netip.MustParseAddr(b.SourceIP)); !ok {
			fail(target, fmt.Errorf("source ip %s is not an address of this host", b.SourceIP))
			keep = dropBridge(keep, b.Bridge)
			continue
		}
		if b.Subnet == "" && nets[b.Name].Subnet == "" {
			why := errors.New("the network does not exist")
			if dockerErr != nil { // keep what the table has for it
				why = fmt.Errorf("docker: %w", dockerErr)
				keep = append(keep, rulesOf(cur.Rules, b.Bridge)...)
			}
			fail(target, fmt.Errorf("subnet of network %s is unknown: %w", b.Name, why))
		}
	}
	keep = withoutHandSubnets(keep, cur.Rules, steps)
	if err := h.cfg.snat().Replace(keep); err != nil {
		fail("", err)
		return
	}
	for i := range steps {
		s := &steps[i]
		switch {
		case !isSNAT(s.Kind) || s.Outcome != proto.OutcomePending:
		case s.Kind == proto.ActAdoptSNAT && !holds(keep, *s.Hand):
			s.Outcome, s.Error = proto.OutcomeFailed, "push's rule for "+s.Hand.Subnet.String()+" is not in place: the hand-made rule is kept"
		case s.Kind == proto.ActAdoptSNAT:
			// push's rule is in its table now: the hand-made one can go.
			if _, err := h.cfg.handsnat().Remove(ctx, *s.Hand); err != nil {
				s.Outcome, s.Error = proto.OutcomeFailed, err.Error()
			} else {
				s.Outcome = proto.OutcomeDone
			}
		default:
			s.Outcome = proto.OutcomeDone
		}
	}
}

// holds reports whether rules map the hand-made rule's subnet to its
// address.
func holds(rules []proto.SNATRule, h handsnat.Rule) bool {
	for _, r := range rules {
		if r.Subnet == h.Subnet.String() && r.SourceIP == h.SourceIP.String() {
			return true
		}
	}
	return false
}

// withoutHandSubnets drops from rules push's new rule for a subnet a
// hand-made rule still serves and that is not being adopted now (left
// alone without --adopt, or in conflict): never a silent second rule.
// A rule push's table already holds stays.
func withoutHandSubnets(rules, cur []proto.SNATRule, steps []plan.Step) []proto.SNATRule {
	hold := map[string]bool{}
	for _, s := range steps {
		if s.Kind == proto.ActAdoptSNAT && s.Outcome != proto.OutcomePending {
			hold[s.Hand.Subnet.String()] = true
		}
	}
	have := map[proto.SNATRule]bool{}
	for _, r := range cur {
		have[r] = true
	}
	var out []proto.SNATRule
	for _, r := range rules {
		if !hold[r.Subnet] || have[r] {
			out = append(out, r)
		}
	}
	return out
}

func rulesOf(rules []proto.SNATRule, bridge string) []proto.SNATRule {
	var out []proto.SNATRule
	for _, r := range rules {
		if r.Bridge == bridge {
			out = append(out, r)
		}
	}
	return out
}

func dropBridge(rules []proto.SNATRule, bridge string) []proto.SNATRule {
	var out []proto.SNATRule
	for _, r := range rules {
		if r.Bridge != bridge {
			out = append(out, r)
		}
	}
	return out
}
