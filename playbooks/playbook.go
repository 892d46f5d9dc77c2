package playbooks

import (
	"context"
	"slices"

	"github.com/kasmfleet/push/remote/proto"
	"github.com/kasmfleet/push/runner"
)

// Steps is what each mode does, in order: the one place to read a run.
// A new step (adopt, drain, workspaces) is a small type added here.
func Steps(mode Mode) []Step {
	switch mode {
	case ModeCheck:
		return []Step{vsphereStep{}, trunkMACStep{}, hostsStep{}, workspacesStep{}, driftStep{}}
	default: // apply, plan
		return []Step{vsphereStep{}, trunkMACStep{}, hostsStep{}, workspacesStep{}}
	}
}

// Step is one step of a run. It reads the playbook and the outcome of the
// steps before it, and writes its own part of the outcome. An error stops
// the run before any later step.
type Step interface {
	Name() string
	Run(ctx context.Context, p Playbook, o *Outcome) error
}

// conditional is a step that has nothing to do in some runs.
type conditional interface {
	ShouldRun(p Playbook) bool
}

// Step names, as StepError gives them.
const (
	StepVSphere    = "vsphere"
	StepTrunkMACs  = "trunk MACs"
	StepHosts      = "hosts"
	StepDrift      = "drift"
	StepWorkspaces = "workspaces"
)

// Playbook is one apply, plan or check over a fleet: what is wanted, how
// to reach it, and how to roll out. Nothing in it changes while it plays.
type Playbook struct {
	Mode   Mode
	Trunks []proto.VSphereSpec // the desired vSphere state, all trunks
	Hosts  []Host              // the hosts of this run (--limit applied)
	Run    RunOptions
	// Rollout shapes the hosts step: batches, failure budget, pause,
	// forks, the stop channel and the event sink. Plan and check observe
	// every host at once, whatever fails.
	Rollout   runner.Options
	VCenter   VSphere   // reaches vCenter
	Transport Transport // reaches hosts
	// Drain, in apply, drains the hosts whose change needs it (nil: none).
	Drain *Drain
	// Workspaces are the Kasm workspaces to restrict to their networks
	// (none in a run limited to some agents); Kasm reaches them.
	Workspaces []WorkspaceSpec
	Kasm       Kasm
}

// Outcome is what a run did and found; each step fills its own part.
type Outcome struct {
	VSphere []TrunkOutcome // one per trunk with agents in the run
	Hosts   []Host         // the run's hosts as asked: "auto" trunks with their MAC
	Fleet   runner.Summary // every host's result, in order
	Drift   []TargetDrift  // check: every target's standing
	// Workspaces: each workspace's restriction, set or compared.
	Workspaces []WorkspaceOutcome
}

// StepError is a step that stopped the run; no host was touched.
type StepError struct {
	Step string
	Err  error
}

func (e *StepError) Error() string { return e.Err.Error() }
func (e *StepError) Unwrap() error { return e.Err }

// Play runs the mode's steps in order.
func (p Playbook) Play(ctx context.Context) (Outcome, error) {
	var o Outcome
	for _, s := range Steps(p.Mode) {
		if c, ok := s.(conditional); ok && !c.ShouldRun(p) {
			continue
		}
		if err := s.Run(ctx, p, &o); err != nil {
			return o, &StepError{Step: s.Name(), Err: err}
		}
	}
	return o, nil
}

// Changed reports whether vSphere or any host has changes taken (apply)
// or pending (plan, check).
func (o Outcome) Changed(mode Mode) bool {
	return slices.ContainsFunc(o.VSphere, func(t TrunkOutcome) bool { return t.Changed }) || Changed(mode, o.Fleet) ||
		slices.ContainsFunc(o.Workspaces, func(w WorkspaceOutcome) bool { return w.Changed && (mode != ModeApply || w.Err == nil) })
}

// Batches is how many batches the hosts step will run.
func (p Playbook) Batches() int {
	return len(runner.Batches(len(p.Hosts), p.rollout().Batches))
}

// rollout is the hosts step's options: apply's as given; plan and check
// observe everyone, whatever fails.
func (p Playbook) rollout() runner.Options {
	o := p.Rollout
	if p.Mode != ModeApply {
		o.Batches, o.MaxFailures = nil, runner.Size{N: 100, Percent: true}
	}
	return o
}

// hostsStep runs the helper on every host in rolling batches. A failed
// host is a result, not an error that stops the run.
type hostsStep struct{}

func (hostsStep) Name() string { return StepHosts }

func (hostsStep) Run(ctx context.Context, p Playbook, o *Outcome) error {
	o.Fleet = Job{Mode: p.Mode, Hosts: o.Hosts, Transport: p.Transport, Run: p.Run, Options: p.rollout(), Drain: p.Drain}.Go(ctx)
	return nil
}
