package playbooks

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kasmfleet/push/remote/proto"
	"github.com/kasmfleet/push/runner"
)

// Drainer takes a host out of its session broker's rotation (no new
// sessions land on it) and puts it back: Kasm's API, or the rollout's
// before/after commands.
type Drainer interface {
	Drain(ctx context.Context, h Host) error
	Undrain(ctx context.Context, h Host) error
}

// Drain is how apply drains a host whose change needs its sessions gone.
type Drain struct {
	// Drainer is nil when push only waits for the sessions to end.
	Drainer Drainer
	// Timeout bounds the wait for sessions to end. Each helper run that
	// asks whether sessions remain waits up to Wait on the host for them
	// to end (re-reading Docker there every second), and Poll
	// spaces two such runs.
	Timeout, Wait, Poll time.Duration
	// Ledger, when set, remembers drained hosts across runs.
	Ledger Ledger
}

// Ledger remembers which hosts push left drained, so that a rerun after a
// killed controller or a failed apply finishes them and undrains them.
type Ledger interface {
	Drained(host string) bool
	Mark(host string, drained bool) error
}

func (d *Drain) remembers(h Host) bool { return d.Ledger != nil && d.Ledger.Drained(h.Name) }

func (d *Drain) mark(h Host, drained bool) error {
	if d.Ledger == nil {
		return nil
	}
	return d.Ledger.Mark(h.Name, drained)
}

// Drain steps, as the runner's events and HostError name them.
const (
	StepDrain   = "drain"
	StepWait    = "drain wait"
	StepUndrain = "undrain"
)

// drained is apply on a host in a drain. The apply is asked to change
// nothing if sessions block it; when they do, drain, wait for them to
// end, apply (with verify), undrain. A host with nothing blocked costs
// one helper run, as without a drain. With ForceDisconnect there is no
// wait: apply disconnects the sessions. A host whose wait times out is
// undrained, unchanged; a host whose apply fails after the drain stays
// drained. A host an earlier run left drained is finished and undrained.
func (j Job) drained(ctx context.Context, h Host, step func(string)) (runner.Answer, error) {
	d, earlier := j.Drain, j.Drain.remembers(h)
	var busy []string
	var err error
	if earlier {
		busy, err = j.busy(ctx, h, 0)
	} else {
		var a runner.Answer
		if a, busy, err = j.applyUnlessBusy(ctx, h, step); len(busy) == 0 {
			return a, err
		}
	}
	if err != nil {
		return runner.Answer{}, err
	}
	if !earlier && d.Drainer != nil {
		step(StepDrain)
		if err := d.Drainer.Drain(ctx, h); err != nil {
			return runner.Answer{}, j.undrainAfter(h, step, &runner.HostError{Host: h.Name, Step: StepDrain, Err: err})
		}
		if err := d.mark(h, true); err != nil {
			return runner.Answer{}, j.undrainAfter(h, step, &runner.HostError{Host: h.Name, Step: StepDrain, Err: err})
		}
	}
	if j.Run.ForceDisconnect {
		busy = nil // apply disconnects them
	}
	if len(busy) > 0 {
		step(StepWait)
	}
	deadline := time.Now().Add(d.Timeout)
	for len(busy) > 0 {
		remain := len(busy)
		select {
		case <-ctx.Done():
		case <-time.After(d.Poll):
			busy, err = j.busy(ctx, h, min(time.Until(deadline), d.Wait))
		}
		if ctx.Err() != nil { // also while the helper waited on the host
			return runner.Answer{}, j.undrainAfter(h, step, &runner.HostError{Host: h.Name, Step: StepWait,
				Err: fmt.Errorf("interrupted while %d sessions remain; left unchanged: %w", remain, ctx.Err())})
		}
		if err != nil {
			return runner.Answer{}, j.undrainAfter(h, step, err)
		}
		if len(busy) > 0 && !time.Now().Before(deadline) {
			return runner.Answer{}, j.undrainAfter(h, step, &runner.HostError{Host: h.Name, Step: StepWait,
				Err: fmt.Errorf("drain timed out, %d sessions remain: %s; left unchanged", len(busy), strings.Join(busy, ", "))})
		}
	}
	a, err := j.apply(ctx, h, step)
	if err != nil && d.Drainer != nil {
		failed := string(ModeApply)
		if he := (*runner.HostError)(nil); errors.As(err, &he) {
			failed, err = he.Step, he.Err
		}
		return a, &runner.HostError{Host: h.Name, Step: failed, Err: fmt.Errorf("%w; the host stays drained", err)}
	}
	if err != nil {
		return a, err
	}
	return a, j.undrainAfter(h, step, nil)
}

// applyUnlessBusy applies on h unless sessions block the change: then
// nothing is changed and it returns them.
func (j Job) applyUnlessBusy(ctx context.Context, h Host, step func(string)) (runner.Answer, []string, error) {
	req := Request(ModeApply, h, j.Run)
	req.Options.UnlessBusy = true
	res, exit, err := j.Transport.Helper(ctx, h, req, step)
	if err != nil {
		return runner.Answer{}, nil, err
	}
	if errors.Is(res.Err(), proto.ErrBusy) {
		if busy := proto.Blocking(res.Actions); len(busy) > 0 {
			return runner.Answer{}, busy, nil
		}
	}
	a, err := j.judged(h, res, exit, step)
	return a, nil, err
}

// busy asks the helper for a plan and returns the sessions blocking it,
// or none when a drain would not be enough to let apply through (a
// refusal for another reason): apply then reports it as it would anyway.
// The helper waits up to wait (rounded up to seconds) for them to end.
// It is kept out of the progress (which shows the apply as before).
func (j Job) busy(ctx context.Context, h Host, wait time.Duration) ([]string, error) {
	req := Request(ModePlan, h, j.Run)
	if wait > 0 {
		req.Options.WaitForSessions = int((wait + time.Second - 1) / time.Second)
	}
	res, _, err := j.Transport.Helper(ctx, h, req, func(string) {})
	if err != nil {
		return nil, err
	}
	if err := res.Err(); err != nil {
		return nil, &runner.HostError{Host: h.Name, Step: string(ModePlan), Err: err}
	}
	return proto.Blocking(res.Actions), nil
}

// undrainAfter puts a host back (even when the run is being interrupted)
// and returns cause, with the undrain's failure if any.
func (j Job) undrainAfter(h Host, step func(string), cause error) error {
	if j.Drain.Drainer == nil {
		return cause
	}
	step(StepUndrain)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := j.Drain.Drainer.Undrain(ctx, h)
	if err == nil {
		err = j.Drain.mark(h, false)
	}
	if err != nil {
		return errors.Join(cause, &runner.HostError{Host: h.Name, Step: StepUndrain, Err: fmt.Errorf("left drained: %w", err)})
	}
	return cause
}
