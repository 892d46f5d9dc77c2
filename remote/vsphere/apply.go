package vsphere

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/kasmfleet/push/remote/proto"
	"github.com/vmware/govmomi/property"
)

// vmParallel bounds the VM reconfigure tasks in flight at once.
const vmParallel = 8

// Report is what Apply did: every change with its outcome, and the trunk
// NIC of every agent as read back afterwards.
type Report struct {
	Server  string     `json:"server"`
	Trunk   string     `json:"trunk"`
	Changes []Change   `json:"changes"`
	NICs    []AgentNIC `json:"nics,omitempty"`
	// Observed is the read back after the changes; empty when apply
	// stopped before it.
	Observed Observed `json:"observed"`
}

// Changed reports whether apply changed anything in vCenter.
func (r Report) Changed() bool {
	for _, c := range r.Changes {
		if c.Outcome == proto.OutcomeDone {
			return true
		}
	}
	return false
}

// Apply converges vCenter to spec: observe, diff, act (port group first,
// then the VMs, a few at a time), wait for each task, read back. The
// report lists every change with its outcome, also when Apply fails
// part-way; the error joins one error per failed or refused change, each
// naming its object. progress may be nil; it is never called concurrently.
func (c *Client) Apply(ctx context.Context, spec proto.VSphereSpec, progress func(Event)) (Report, error) {
	r, err := c.apply(ctx, spec, &emitter{fn: progress})
	for i := range r.Changes {
		r.Changes[i].Error = scrub(r.Changes[i].Error, c.secrets)
		r.Changes[i].Err = c.redact(r.Changes[i].Err)
	}
	if err != nil {
		err = c.redact(fmt.Errorf("apply trunk %s on %s: %w", spec.Trunk, c.server, err))
	}
	return r, err
}

func (c *Client) apply(ctx context.Context, spec proto.VSphereSpec, em *emitter) (Report, error) {
	r := Report{Server: c.server, Trunk: spec.Trunk}
	if err := Validate(spec); err != nil {
		return r, err
	}
	obs, err := c.observe(ctx, spec)
	if err != nil {
		return r, err
	}
	r.Changes = Diff(spec, obs)
	var errs []error
	for i := range r.Changes {
		if ch := &r.Changes[i]; ch.Outcome == proto.OutcomeRefused {
			sentinel := ErrConflict
			if ch.Kind == KindMissingVM || ch.Kind == KindMissingHost || ch.Kind == KindMissingSwitch {
				sentinel = ErrNotFound
			}
			fail(ch, proto.OutcomeRefused, fmt.Errorf("%s: %w: %s", ch.Object, sentinel, ch.Actual))
			errs = append(errs, ch.Err)
		}
	}

	if spec.IsStandard() {
		errs = append(errs, c.applyStandard(ctx, spec, obs, r.Changes, em)...)
	} else {
		errs = append(errs, c.applyDistributed(ctx, spec, obs, r.Changes, em)...)
	}

	final, err := c.observe(ctx, spec)
	if err != nil {
		return r, errors.Join(append(errs, fmt.Errorf("read back: %w", err))...)
	}
	r.Observed = final
	r.NICs = final.AgentNICs()
	errs = append(errs, readBack(r.Changes, Diff(spec, final))...)
	return r, errors.Join(errs...)
}

// applyDistributed creates or reconfigures the distributed port group,
// then adds or connects the VMs' NICs on it.
func (c *Client) applyDistributed(ctx context.Context, spec proto.VSphereSpec, obs Observed, changes []Change, em *emitter) []error {
	var errs []error
	pg := obs.PortGroup
	pc := property.DefaultCollector(c.vc)
	for i := range changes {
		ch := &changes[i]
		if ch.Kind != KindCreatePortGroup && ch.Kind != KindUpdatePortGroup {
			continue
		}
		err := c.applyPortGroup(ctx, spec, obs, ch, em)
		if err != nil {
			errs = append(errs, err)
			if ch.Kind == KindCreatePortGroup {
				pg = nil // nothing to attach NICs to: their changes are skipped
			}
			break
		}
		if pg, err = c.observePortGroup(ctx, pc, obs.Switch, spec.PortGroup); err == nil && pg == nil {
			err = fmt.Errorf("%s: %w: created, but the switch does not list it", ch.Object, ErrReadBack)
		}
		if err != nil {
			fail(ch, proto.OutcomeFailed, err)
			errs = append(errs, err)
			pg = nil
		}
	}
	attach := func(VMState) (attachment, string) {
		if pg == nil || !pg.IsTrunk() {
			return attachment{}, fmt.Sprintf("port group %s is not in place", spec.PortGroup)
		}
		return distributedAttachment(obs.Switch, pg), ""
	}
	return append(errs, c.applyVMs(ctx, obs, attach, changes, em)...)
}

// applyVMs takes the NIC changes, vmParallel at a time. A VM that attach
// gives no attachment for (but a reason) is skipped.
func (c *Client) applyVMs(ctx context.Context, obs Observed, attach func(VMState) (attachment, string), changes []Change, em *emitter) []error {
	var (
		mu      sync.Mutex
		errs    []error
		skipped int
		wg      sync.WaitGroup
		sem     = make(chan struct{}, vmParallel)
	)
	for i := range changes {
		ch := &changes[i]
		if ch.Kind != KindAddNIC && ch.Kind != KindConnectNIC {
			continue
		}
		vm := vmState(obs, ch.Agent, ch.VM)
		att, why := attach(vm)
		if why != "" {
			fail(ch, proto.OutcomeSkipped, fmt.Errorf("%s: skipped: %s", ch.Object, why))
			em.emit(Event{Object: ch.Object, Message: ch.Error, Outcome: ch.Outcome})
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
				defer func() { <-sem }()
			case <-ctx.Done():
			}
			if ctx.Err() != nil {
				fail(ch, proto.OutcomeSkipped, fmt.Errorf("%s: skipped: %w", ch.Object, ctx.Err()))
				em.emit(Event{Object: ch.Object, Message: ch.Error, Outcome: ch.Outcome})
				mu.Lock()
				skipped++
				mu.Unlock()
				return
			}
			if err := c.applyNIC(ctx, att, vm, ch, em); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if skipped > 0 {
		errs = append(errs, fmt.Errorf("%d VM changes skipped: %w", skipped, ctx.Err()))
	}
	return errs
}

// readBack marks the changes reported done whose object still differs.
func readBack(changes, remaining []Change) []error {
	var errs []error
	for i := range changes {
		ch := &changes[i]
		if ch.Outcome != proto.OutcomeDone {
			continue
		}
		for _, rest := range remaining {
			if rest.Object == ch.Object && rest.Outcome == proto.OutcomePending {
				fail(ch, proto.OutcomeFailed, fmt.Errorf("%s: %w: still %s, want %s", ch.Object, ErrReadBack, rest.Actual, rest.Expected))
				errs = append(errs, ch.Err)
				break
			}
		}
	}
	return errs
}

func fail(ch *Change, o proto.Outcome, err error) {
	ch.Outcome = o
	ch.Err = err
	ch.Error = err.Error()
}

func done(ch *Change, em *emitter) {
	ch.Outcome = proto.OutcomeDone
	em.emit(Event{Object: ch.Object, Message: ch.Action, Percent: 100, Outcome: ch.Outcome})
}

func vmState(o Observed, agent, vm string) VMState {
	for _, v := range o.VMs {
		if v.Agent == agent && v.VM == vm {
			return v
		}
	}
	return VMState{Agent: agent, VM: vm}
}
