package helper

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
	"io"
	"os"
	"runtime"
	"strings"
	"sync"

	"github.com/kasmfleet/push/remote/helper/docker"
	"github.com/kasmfleet/push/remote/helper/lock"
	"github.com/kasmfleet/push/remote/helper/plan"
	"github.com/kasmfleet/push/remote/helper/state"
	"github.com/kasmfleet/push/remote/proto"
)

// Helper runs verbs against one host.
type Helper struct {
	cfg     Config
	shaOnce sync.Once
	sha     string
}

// New returns a helper for the host cfg describes.
func New(cfg Config) *Helper { return &Helper{cfg: cfg.Defaults()} }

// Build identifies this helper. The sha256 is of its own executable.
func (h *Helper) Build() proto.Build {
	return proto.Build{Version: h.cfg.Version, SHA256: h.selfSHA(), GOARCH: runtime.GOARCH}
}

// selfSHA is the sha256 of the running executable. A helper push
// uploaded carries it in its file name (content-addressed and verified
// on upload), which spares hashing megabytes on every run.
func (h *Helper) selfSHA() string {
	h.shaOnce.Do(func() {
		if sha, ok := state.ShaFromPath(h.cfg.Executable); ok {
			h.sha = sha
			return
		}
		f, err := os.Open(h.cfg.Executable)
		if err != nil {
			return
		}
		defer f.Close()
		sum := sha256.New()
		if _, err := io.Copy(sum, f); err == nil {
			h.sha = hex.EncodeToString(sum.Sum(nil))
		}
	})
	return h.sha
}

// Run answers one request. It always returns a Result, and the exit code
// that goes with it.
func (h *Helper) Run(ctx context.Context, req proto.Request) (res proto.Result, code int) {
	res = proto.Result{Version: proto.Version, Verb: req.Verb}
	if req.Spec != nil {
		res.Agent = req.Spec.Agent
	}
	defer func() {
		if r := recover(); r != nil {
			res.Error = fmt.Sprintf("helper panic: %v", r)
			code = proto.ExitFailed
		}
	}()
	if req.Version != proto.Version {
		res.Helper = h.Build()
		res.Error = fmt.Sprintf("protocol version %d is not this helper's version %d: push and push-helper do not match", req.Version, proto.Version)
		res.Code = proto.CodeProtocolMismatch
		return res, proto.ExitFailed
	}
	var err error
	switch req.Verb {
	case proto.VerbVersion:
		res.Helper = h.Build()
		return res, proto.ExitOK
	case proto.VerbFacts, proto.VerbPlan, proto.VerbApply, proto.VerbVerify:
		if req.Spec == nil {
			err = proto.WithCode(proto.CodeBadRequest, fmt.Errorf("%s needs a spec", req.Verb))
			break
		}
		err = h.runSpec(ctx, req.Verb, *req.Spec, req.Options, &res)
	case proto.VerbRestore:
		err = h.restore(ctx, req.Options, &res)
	default:
		err = proto.WithCode(proto.CodeBadRequest, fmt.Errorf("unknown verb %q", req.Verb))
	}
	res.Helper = proto.Build{Version: h.cfg.Version, SHA256: h.sha, GOARCH: runtime.GOARCH}
	if err != nil {
		res.Error, res.Code = err.Error(), proto.CodeOf(err)
		return res, proto.ExitFailed
	}
	return res, exitCode(res)
}

// exitCode: plan exits 2 while anything is left to do; apply, restore
// and verify exit 1 when an action or a check did not succeed (a
// hand-made object left alone without --adopt is not a failure).
func exitCode(res proto.Result) int {
	for _, c := range res.Checks {
		if !c.OK {
			return proto.ExitFailed
		}
	}
	for _, a := range res.Actions {
		switch {
		case res.Verb == proto.VerbPlan && a.Outcome != proto.OutcomeDone:
			return proto.ExitChanges
		case res.Verb != proto.VerbPlan && a.Outcome != proto.OutcomeDone && a.Outcome != proto.OutcomeLeft:
			return proto.ExitFailed
		}
	}
	return proto.ExitOK
}

func (h *Helper) runSpec(ctx context.Context, verb proto.Verb, spec proto.HostSpec, opts proto.Options, res *proto.Result) error {
	if err := plan.Validate(spec); err != nil {
		return proto.WithCode(proto.CodeInvalidSpec, fmt.Errorf("invalid spec: %w", err))
	}
	if verb != proto.VerbFacts && verb != proto.VerbPlan {
		l, err := lock.Acquire(h.cfg.LockPath, opts.Holder)
		if errors.Is(err, lock.ErrHeld) {
			return proto.WithCode(proto.CodeLockHeld, err)
		}
		if err != nil {
			return err
		}
		defer l.Release()
	}
	if h.cfg.Net.Handle == nil {
		// One rtnetlink socket for the whole run.
		nh, err := netlink.NewHandle(unix.NETLINK_ROUTE)
		if err != nil {
			return fmt.Errorf("netlink: %w", err)
		}
		h.cfg.Net.Handle = nh
		defer func() { nh.Close(); h.cfg.Net.Handle = nil }()
	}
	cl := docker.NewClient(h.cfg.DockerSocket)
	defer cl.Close()
	if h.cfg.Trace != nil {
		cl.Sent = func(method, path string) {
			if method == "GET" {
				h.trace("read docker %s %s", method, path)
				return
			}
			h.trace("docker %s %s sent", method, path)
		}
	}
	watch := h.stopwatch(res)
	if verb == proto.VerbVerify {
		defer watch.lap("verify")
		return h.verify(ctx, spec, cl, nil, res)
	}
	obs, err := h.observe(ctx, spec, cl, verb == proto.VerbFacts)
	if err != nil {
		return err
	}
	watch.lap("observe")
	if verb == proto.VerbFacts {
		res.Facts = h.facts(spec, obs)
		if opts.Survey {
			return h.survey(ctx, cl, obs, res.Facts)
		}
		if obs.DockerErr != nil && len(plan.Desired(spec, obs.Trunk.Name)) > 0 {
			return proto.WithCode(proto.CodeDockerUnavailable, fmt.Errorf("docker: %w", obs.DockerErr))
		}
		return nil
	}
	if err := h.preflight(verb, spec, obs); err != nil {
		res.Facts = h.facts(spec, obs)
		return err
	}
	steps := plan.Plan(spec, obs.Observed, opts)
	if err := plan.Conflicts(steps); err != nil && verb == proto.VerbApply {
		res.Facts = h.facts(spec, obs)
		res.Actions = actions(steps)
		return err
	}
	if verb == proto.VerbPlan {
		if opts.WaitForSessions > 0 {
			steps, err = h.waitForSessions(ctx, spec, cl, &obs, steps, opts)
			watch.lap("wait for sessions")
			if err != nil {
				return err
			}
		}
		res.Facts = h.facts(spec, obs)
		res.Actions = actions(steps)
		return nil
	}
	if opts.UnlessBusy {
		planned := actions(steps)
		if busy := proto.Blocking(planned); len(busy) > 0 {
			res.Facts, res.Actions = h.facts(spec, obs), planned
			return proto.WithCode(proto.CodeBusy, fmt.Errorf("sessions block this change: %s; nothing was changed", strings.Join(busy, ", ")))
		}
	}
	if obs.DockerErr != nil { // restore only (preflight): do what needs no Docker
		skipDocker(steps, obs.DockerErr)
	}
	after := obs
	if anyPending(steps) { // nothing to take, nothing to read back
		h.apply(ctx, spec, opts, steps, cl)
		watch.lap("apply")
		after, err = h.observe(ctx, spec, cl, false)
		watch.lap("read back")
	}
	res.Actions = actions(steps)
	if err != nil {
		return fmt.Errorf("read back after apply: %w", err)
	}
	res.Facts = h.facts(spec, after)
	if opts.Verify {
		defer watch.lap("verify")
		return h.verify(ctx, spec, cl, after.Networks, res)
	}
	return nil
}

// preflight refuses specs the host cannot take or that are unsafe. At
// boot (restore) a Docker that does not answer is not a reason to leave
// the trunk, the SNAT table and the addresses down as well.
func (h *Helper) preflight(verb proto.Verb, spec proto.HostSpec, obs observation) error {
	desired := plan.Desired(spec, obs.Trunk.Name)
	if err := plan.CheckSafety(desired, obs.Observed); err != nil {
		return proto.WithCode(proto.CodeRefused, err)
	}
	if len(desired) == 0 && !hasManaged(obs) {
		return nil
	}
	if obs.DockerErr != nil {
		if verb == proto.VerbRestore {
			return nil
		}
		return proto.WithCode(proto.CodeDockerUnavailable, fmt.Errorf("docker: %w", obs.DockerErr))
	}
	for _, v := range spec.VLANs {
		if v.Driver == "ipvlan" && !obs.Docker.SupportsIPVlan() {
			return fmt.Errorf("docker %s is older than 19.03: ipvlan network %s needs Docker 19.03 or later (or experimental mode); upgrade docker", obs.Docker.Version, v.Name)
		}
	}
	return nil
}

func hasManaged(obs observation) bool {
	for _, n := range obs.Networks {
		if n.Owned() {
			return true
		}
	}
	return false
}

func actions(steps []plan.Step) []proto.Action {
	out := make([]proto.Action, len(steps))
	for i, s := range steps {
		out[i] = s.Action
	}
	return out
}

// restore re-applies the last applied spec (at boot).
func (h *Helper) restore(ctx context.Context, opts proto.Options, res *proto.Result) error {
	spec, err := h.cfg.state().LoadApplied()
	if err != nil {
		return err
	}
	if spec == nil {
		return errors.New("restore: nothing applied yet (" + state.Applied + " is missing)")
	}
	res.Agent = spec.Agent
	if opts.Holder == "" {
		opts.Holder = "push-restore (boot)"
	}
	opts.Prune = false
	return h.runSpec(ctx, proto.VerbRestore, *spec, opts, res)
}
