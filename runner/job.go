package runner

import (
	"context"

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

// Go runs the job: every host's outcome, in the order of Hosts.
func (j Job) Go(ctx context.Context) Summary {
	byName := map[string]playbooks.Host{}
	names := make([]string, len(j.Hosts))
	for i, h := range j.Hosts {
		byName[h.Name], names[i] = h, h.Name
	}
	work := func(ctx context.Context, name string, step func(string)) (Answer, error) {
		h := byName[name]
		res, exit, err := j.Transport.Helper(ctx, h, playbooks.Request(j.Mode, h, j.Run), step)
		if err != nil {
			return Answer{}, err
		}
		a := Answer{Result: &res, Exit: exit}
		if err := playbooks.Judge(j.Mode, res, exit); err != nil {
			step("judge")
			return a, &HostError{Host: name, Step: string(j.Mode), Err: err}
		}
		return a, nil
	}
	return Run(ctx, names, work, j.Options)
}

// Changed reports whether any host has actions pending (plan, check) or
// taken (apply).
func Changed(mode playbooks.Mode, s Summary) bool {
	for _, h := range s.Hosts {
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
