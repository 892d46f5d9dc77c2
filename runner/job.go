package runner

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/kasmfleet/push/playbooks"
	"github.com/kasmfleet/push/remote/proto"
)

// Transport runs the helper on a host with one request and returns its
// result and exit status. It reports the steps it enters through step.
type Transport interface {
	Helper(ctx context.Context, h playbooks.Host, req proto.Request, step func(string)) (proto.Result, int, error)
}

// Job is one mode run over a fleet.
type Job struct {
	Mode      playbooks.Mode
	Hosts     []playbooks.Host
	Transport Transport
	Run       playbooks.RunOptions
	Options   Options
}

// HostReport is what one host answered.
type HostReport struct {
	Host   playbooks.Host
	Result *proto.Result // nil when the helper never answered
	Exit   int
	Err    error // transport failure, or what Judge found wrong
}

// Report is a job's outcome.
type Report struct {
	Summary Summary
	Hosts   map[string]*HostReport
}

// Go runs the job.
func (j Job) Go(ctx context.Context) Report {
	byName := map[string]playbooks.Host{}
	names := make([]string, len(j.Hosts))
	for i, h := range j.Hosts {
		byName[h.Name], names[i] = h, h.Name
	}
	var mu sync.Mutex
	reports := map[string]*HostReport{}
	work := func(ctx context.Context, name string, step func(string)) error {
		h := byName[name]
		rep := &HostReport{Host: h}
		defer func() { mu.Lock(); reports[name] = rep; mu.Unlock() }()
		res, exit, err := j.Transport.Helper(ctx, h, playbooks.Request(j.Mode, h, j.Run), step)
		if err != nil {
			rep.Err = err
			return err
		}
		rep.Result, rep.Exit = &res, exit
		if err := playbooks.Judge(j.Mode, res, exit); err != nil {
			rep.Err = err
			step("judge")
			return &HostError{Host: name, Step: string(j.Mode), Err: err}
		}
		return nil
	}
	sum := Run(ctx, names, work, j.Options)
	return Report{Summary: sum, Hosts: reports}
}

// Changed reports whether any host has actions pending (plan, check) or
// taken (apply).
func (r Report) Changed(mode playbooks.Mode) bool {
	for _, h := range r.Hosts {
		if h.Result == nil {
			continue
		}
		if mode == playbooks.ModeApply && len(playbooks.Taken(*h.Result)) > 0 ||
			mode != playbooks.ModeApply && len(playbooks.Pending(*h.Result)) > 0 {
			return true
		}
	}
	return false
}

// Err joins every host's failure.
func (r Report) Err() error {
	var errs []error
	for _, h := range r.Summary.Hosts {
		if h.Err != nil {
			errs = append(errs, h.Err)
		}
	}
	if n := r.Summary.Count(StateNotStarted); n > 0 {
		errs = append(errs, fmt.Errorf("%d hosts not started: %s", n, r.Summary.Stopped))
	}
	return errors.Join(errs...)
}
