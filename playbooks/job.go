package playbooks

import (
	"context"
	"fmt"

	"github.com/kasmfleet/push/remote/proto"
	"github.com/kasmfleet/push/runner"
)

// Transport runs the helper on a host with one request and returns its
// result and exit status. It reports the steps it enters through step.
// runner/sshhosts is the one over SSH.
type Transport interface {
	Helper(ctx context.Context, h Host, req proto.Request, step func(string)) (proto.Result, int, error)
}

// Job is one mode's helper run over hosts, in rolling batches.
type Job struct {
	Mode      Mode
	Hosts     []Host
	Transport Transport
	Run       RunOptions
	Options   runner.Options
	// Drain, in apply, drains hosts whose change needs their sessions
	// gone; nil leaves such hosts to the helper's refusal.
	Drain *Drain
}

// Go runs the job: every host's outcome, in the order of Hosts.
func (j Job) Go(ctx context.Context) runner.Summary {
	byName := map[string]Host{}
	names := make([]string, len(j.Hosts))
	for i, h := range j.Hosts {
		byName[h.Name], names[i] = h, h.Name
	}
	return runner.Run(ctx, names, func(ctx context.Context, name string, step func(string)) (runner.Answer, error) {
		return j.turn(ctx, byName[name], step)
	}, j.Options)
}

// turn is one host's turn in its batch: the helper, asked once, and its
// answer judged; in apply with a drain, wrapped in drain and undrain.
func (j Job) turn(ctx context.Context, h Host, step func(string)) (runner.Answer, error) {
	// The helper would refuse such a spec with less to go on.
	if h.TrunkAuto && h.Spec.Trunk != nil && h.Spec.Trunk.MAC == "" {
		return runner.Answer{}, &runner.HostError{Host: h.Name, Step: StepTrunkMACs, Err: fmt.Errorf(
			"trunk_nic is \"auto\" but vSphere gave no trunk NIC for VM %s, so the host's trunk NIC is unknown: either vSphere could not be read, or the VM has no NIC on the trunk port group yet (apply adds it first; plan the host after that)", h.VM)}
	}
	if j.Mode == ModeApply && j.Drain != nil {
		return j.drained(ctx, h, step)
	}
	return j.apply(ctx, h, step)
}

// apply runs the job's mode on h once and judges the answer.
func (j Job) apply(ctx context.Context, h Host, step func(string)) (runner.Answer, error) {
	res, exit, err := j.Transport.Helper(ctx, h, Request(j.Mode, h, j.Run), step)
	if err != nil {
		return runner.Answer{}, err
	}
	return j.judged(h, res, exit, step)
}

// judged is the answer for h's helper result, and its failure if any.
func (j Job) judged(h Host, res proto.Result, exit int, step func(string)) (runner.Answer, error) {
	a := runner.Answer{Result: &res, Exit: exit}
	if err := Judge(j.Mode, res, exit); err != nil {
		step("judge")
		return a, &runner.HostError{Host: h.Name, Step: string(j.Mode), Err: err}
	}
	return a, nil
}

// Changed reports whether any host has actions pending (plan, check) or
// taken (apply).
func Changed(mode Mode, s runner.Summary) bool {
	for _, h := range s.Hosts {
		if h.Result == nil {
			continue
		}
		if mode == ModeApply && len(Taken(*h.Result)) > 0 ||
			mode != ModeApply && len(Pending(*h.Result)) > 0 {
			return true
		}
	}
	return false
}
