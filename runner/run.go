package runner

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/kasmfleet/push/remote/proto"
)

// Work does one host's job, naming each step it enters through step, and
// returns what the host's helper answered (also when it fails).
type Work func(ctx context.Context, host string, step func(name string)) (Answer, error)

// Options shape a run.
type Options struct {
	Batches []Size // the ramp of batch sizes; empty: everyone at once
	// MaxFailures is the failure budget: no new host starts once MORE
	// than this many hosts have failed. Zero stops at the first failure.
	MaxFailures Size
	Pause       time.Duration // between batches
	Forks       int           // hosts in flight at once within a batch; 0: DefaultForks
	// Stop, when closed, starts no new host and lets those in flight
	// finish (the first Ctrl-C). Cancelling the context aborts them.
	Stop <-chan struct{}
	// Events receives every event, one at a time, in order.
	Events func(Event)
}

// DefaultForks is generous: a host's time is mostly spent waiting on the
// network and on the host itself.
const DefaultForks = 100

// State is where a host ended up.
type State string

const (
	StateDone       State = "done"
	StateFailed     State = "failed"
	StateAborted    State = "aborted"     // interrupted in flight
	StateNotStarted State = "not-started" // the run stopped before its turn
)

// HostResult is one host's outcome: where it ended up and what its
// helper answered.
type HostResult struct {
	Host     string
	Batch    int // 1-based; 0 when never scheduled
	State    State
	Err      error // a *HostError when State is failed or aborted
	Duration time.Duration
	Answer
}

// Answer is what a host's helper said.
type Answer struct {
	Result *proto.Result // nil when the helper never answered
	Exit   int           // the helper's exit status
}

// Summary is the outcome of a run.
type Summary struct {
	Hosts   []HostResult // in the order given
	Stopped string       // why the run stopped early, or ""
}

// Count returns how many hosts ended in state s.
func (s Summary) Count(st State) int {
	n := 0
	for _, h := range s.Hosts {
		if h.State == st {
			n++
		}
	}
	return n
}

// Err joins every host's failure, and says how many hosts never started.
func (s Summary) Err() error {
	var errs []error
	for _, h := range s.Hosts {
		if h.Err != nil {
			errs = append(errs, h.Err)
		}
	}
	if n := s.Count(StateNotStarted); n > 0 {
		errs = append(errs, fmt.Errorf("%d hosts not started: %s", n, s.Stopped))
	}
	return errors.Join(errs...)
}

// HostError is a failure of one host at one step.
type HostError struct {
	Host, Step string
	Err        error
}

func (e *HostError) Error() string { return fmt.Sprintf("%s: %s: %v", e.Host, e.Step, e.Err) }
func (e *HostError) Unwrap() error { return e.Err }

// Run does work on every host, batch after batch.
func Run(ctx context.Context, hosts []string, work Work, o Options) Summary {
	r := &run{o: o, work: work, results: make([]HostResult, len(hosts))}
	if r.o.Forks <= 0 {
		r.o.Forks = DefaultForks
	}
	if r.o.Events == nil {
		r.o.Events = func(Event) {}
	}
	r.budget = o.MaxFailures.budget(len(hosts))
	for i, h := range hosts {
		r.results[i] = HostResult{Host: h, State: StateNotStarted}
	}
	start := 0
	for b, size := range Batches(len(hosts), o.Batches) {
		if b > 0 && !r.pause(ctx) {
			break
		}
		if r.stopReason(ctx) != "" {
			break
		}
		r.emit(Event{Kind: EventBatch, Batch: b + 1, Hosts: hosts[start : start+size]})
		r.batch(ctx, b+1, start, start+size)
		start += size
	}
	sum := Summary{Hosts: r.results, Stopped: r.stopReason(ctx)}
	if sum.Count(StateNotStarted) == 0 && sum.Count(StateAborted) == 0 {
		sum.Stopped = ""
	}
	r.emit(Event{Kind: EventEnd, Reason: sum.Stopped})
	return sum
}

type run struct {
	o       Options
	work    Work
	budget  int
	mu      sync.Mutex // guards results, failed and event order
	results []HostResult
	failed  int
}

func (r *run) emit(e Event) {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.o.Events(e)
}

// stopReason says why no new host may start, or "".
func (r *run) stopReason(ctx context.Context) string {
	r.mu.Lock()
	failed := r.failed
	r.mu.Unlock()
	switch {
	case ctx.Err() != nil:
		return "aborted"
	case closed(r.o.Stop):
		return "interrupted: hosts in flight were finished, no new host was started"
	case failed > r.budget:
		return fmt.Sprintf("failure budget spent: %d hosts failed, more than max_failures %s (%d)", failed, r.o.MaxFailures, r.budget)
	}
	return ""
}

// batch runs hosts [from, to) with at most Forks in flight.
func (r *run) batch(ctx context.Context, batch, from, to int) {
	sem := make(chan struct{}, r.o.Forks)
	var wg sync.WaitGroup
	for i := from; i < to; i++ {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		case <-r.o.Stop:
		}
		if r.stopReason(ctx) != "" {
			break
		}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			r.host(ctx, batch, i)
		}(i)
	}
	wg.Wait()
}

func (r *run) host(ctx context.Context, batch, i int) {
	host := r.results[i].Host
	began := time.Now()
	var stepMu sync.Mutex
	step := "start"
	r.emit(Event{Kind: EventHostStart, Batch: batch, Host: host})
	answer, err := r.work(ctx, host, func(name string) {
		stepMu.Lock()
		step = name
		stepMu.Unlock()
		r.emit(Event{Kind: EventStep, Batch: batch, Host: host, Step: name})
	})
	res := HostResult{Host: host, Batch: batch, State: StateDone, Duration: time.Since(began), Answer: answer}
	if err != nil {
		stepMu.Lock()
		var he *HostError
		if !errors.As(err, &he) {
			he = &HostError{Host: host, Step: step, Err: err}
		}
		stepMu.Unlock()
		res.Err, res.State = he, StateFailed
		if ctx.Err() != nil {
			res.State = StateAborted
		}
	}
	r.mu.Lock()
	r.results[i] = res
	if res.State == StateFailed {
		r.failed++
	}
	r.mu.Unlock()
	r.emit(Event{Kind: EventHostEnd, Batch: batch, Host: host, State: res.State, Err: res.Err, Duration: res.Duration})
}

// pause waits between batches; false when the run must stop instead.
func (r *run) pause(ctx context.Context) bool {
	if r.stopReason(ctx) != "" {
		return false
	}
	if r.o.Pause <= 0 {
		return true
	}
	r.emit(Event{Kind: EventPause, Duration: r.o.Pause})
	t := time.NewTimer(r.o.Pause)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
	case <-r.o.Stop:
	}
	return false
}

func closed(c <-chan struct{}) bool {
	if c == nil {
		return false
	}
	select {
	case <-c:
		return true
	default:
		return false
	}
}
