package helper

import (
	"time"

	"github.com/kasmfleet/push/remote/proto"
)

// stopwatch records how long the phases of a run took into the result.
// Without a clock (tests) it records nothing, so results stay stable.
type stopwatch struct {
	now  func() time.Time
	last time.Time
	res  *proto.Result
}

func (h *Helper) stopwatch(res *proto.Result) *stopwatch {
	s := &stopwatch{now: h.cfg.Clock, res: res}
	if s.now != nil {
		s.last = s.now()
	}
	return s
}

// lap ends the phase that began at the previous lap (or the start).
func (s *stopwatch) lap(name string) {
	if s.now == nil {
		return
	}
	t := s.now()
	s.res.Phases = append(s.res.Phases, proto.Phase{Name: name, MS: t.Sub(s.last).Milliseconds()})
	s.last = t
}

// since is the milliseconds since t, or 0 without a clock.
func (h *Helper) since(t time.Time) int64 {
	if h.cfg.Clock == nil {
		return 0
	}
	return h.cfg.Clock().Sub(t).Milliseconds()
}

// started is the time now, or the zero time without a clock.
func (h *Helper) started() time.Time {
	if h.cfg.Clock == nil {
		return time.Time{}
	}
	return h.cfg.Clock()
}
