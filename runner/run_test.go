package runner

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kasmfleet/push/remote/proto"
)

func hosts(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("h%02d", i)
	}
	return out
}

// failing is work that fails on the named hosts.
func failing(names ...string) Work {
	return func(ctx context.Context, host string, step func(string)) (Answer, error) {
		step("apply")
		for _, n := range names {
			if n == host {
				return Answer{}, errors.New("boom")
			}
		}
		return Answer{}, nil
	}
}

func states(s Summary) map[State]int {
	m := map[State]int{}
	for _, h := range s.Hosts {
		m[h.State]++
	}
	return m
}

func TestRunAllDone(t *testing.T) {
	var events []Event
	s := Run(context.Background(), hosts(10), failing(), Options{
		Batches: []Size{{N: 1}, {N: 50, Percent: true}}, Events: func(e Event) { events = append(events, e) }})
	if s.Count(StateDone) != 10 || s.Stopped != "" {
		t.Fatalf("summary %+v", states(s))
	}
	var batches []int
	for _, e := range events {
		if e.Kind == EventBatch {
			batches = append(batches, len(e.Hosts))
		}
	}
	if fmt.Sprint(batches) != "[1 5 4]" {
		t.Errorf("batches %v, want [1 5 4]", batches)
	}
	checkEvents(t, events, s)
}

// checkEvents wants events to tell the run s: batches in order, each
// host's start, steps and end inside its batch, its end in the state the
// summary gives, and one end event last, with the reason the run stopped.
func checkEvents(t *testing.T, events []Event, s Summary) {
	t.Helper()
	result := map[string]HostResult{}
	for _, h := range s.Hosts {
		result[h.Host] = h
	}
	batch := 0
	inBatch := map[string]bool{}
	seen := map[string]EventKind{} // host → its last event
	for i, e := range events {
		if e.Time.IsZero() {
			t.Errorf("event %d (%s) has no time", i, e.Kind)
		}
		switch e.Kind {
		case EventBatch:
			for h := range inBatch {
				if seen[h] != EventHostEnd {
					t.Errorf("batch %d starts while %s of batch %d has not ended", e.Batch, h, batch)
				}
			}
			if e.Batch != batch+1 {
				t.Errorf("batch %d follows batch %d", e.Batch, batch)
			}
			batch, inBatch = e.Batch, map[string]bool{}
			for _, h := range e.Hosts {
				inBatch[h] = true
			}
		case EventHostStart, EventStep, EventHostEnd:
			if !inBatch[e.Host] || e.Batch != batch {
				t.Errorf("%s: %s in batch %d, outside its batch", e.Host, e.Kind, batch)
			}
			prev := seen[e.Host]
			switch {
			case e.Kind == EventHostStart && prev != "",
				e.Kind != EventHostStart && prev != EventHostStart && prev != EventStep:
				t.Errorf("%s: %s after %q", e.Host, e.Kind, prev)
			}
			seen[e.Host] = e.Kind
			if r := result[e.Host]; e.Kind == EventHostEnd && (e.State != r.State || e.Err != r.Err || r.Batch != batch) {
				t.Errorf("%s: ended %s (%v) in batch %d; summary says %s (%v) in batch %d", e.Host, e.State, e.Err, batch, r.State, r.Err, r.Batch)
			}
		case EventEnd:
			if i != len(events)-1 {
				t.Errorf("end event is %d of %d", i+1, len(events))
			}
			if e.Reason != s.Stopped {
				t.Errorf("end reason %q, summary says %q", e.Reason, s.Stopped)
			}
		}
	}
	if len(events) == 0 || events[len(events)-1].Kind != EventEnd {
		t.Errorf("the events do not end with an end event")
	}
	for _, h := range s.Hosts {
		if started := seen[h.Host] != ""; started == (h.State == StateNotStarted) || started && seen[h.Host] != EventHostEnd {
			t.Errorf("%s: %s, but its last event is %q", h.Host, h.State, seen[h.Host])
		}
	}
}

func TestFailureBudget(t *testing.T) {
	tests := []struct {
		name     string
		max      Size
		fail     []string
		done     int
		failed   int
		stopped  bool
		notStart int
	}{
		// batches: [h00] [h01 h02 h03] [h04 h05 h06] [h07 h08 h09]
		{"zero tolerates none", Size{N: 0}, []string{"h00"}, 0, 1, true, 9},
		{"a spent budget starts no other host of the batch", Size{N: 0}, []string{"h02"}, 2, 1, true, 7},
		{"exactly the budget goes on", Size{N: 2}, []string{"h01", "h05"}, 8, 2, false, 0},
		{"one more than the budget stops", Size{N: 2}, []string{"h01", "h02", "h05"}, 3, 3, true, 4},
		{"percent of the fleet", Size{N: 20, Percent: true}, []string{"h01", "h02", "h05"}, 3, 3, true, 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var events []Event
			s := Run(context.Background(), hosts(10), failing(tc.fail...), Options{
				Batches: []Size{{N: 1}, {N: 3}}, MaxFailures: tc.max, Forks: 1,
				Events: func(e Event) { events = append(events, e) }})
			checkEvents(t, events, s)
			got := states(s)
			if got[StateDone] != tc.done || got[StateFailed] != tc.failed || got[StateNotStarted] != tc.notStart || (s.Stopped != "") != tc.stopped {
				t.Errorf("got %v stopped %q; want done %d failed %d not started %d stopped %v",
					got, s.Stopped, tc.done, tc.failed, tc.notStart, tc.stopped)
			}
			for _, h := range s.Hosts {
				var he *HostError
				if h.State == StateFailed && (!errors.As(h.Err, &he) || he.Step != "apply" || he.Host != h.Host) {
					t.Errorf("%s: error %v is not a HostError at step apply", h.Host, h.Err)
				}
			}
		})
	}
}

// runWithin runs Run and fails the test when it has not returned within a
// generous bound, rather than hanging the suite (a pause ignoring Stop
// would wait an hour).
func runWithin(t *testing.T, ctx context.Context, names []string, work Work, o Options) Summary {
	t.Helper()
	done := make(chan Summary, 1)
	go func() { done <- Run(ctx, names, work, o) }()
	select {
	case s := <-done:
		return s
	case <-time.After(2 * time.Minute):
		t.Fatal("the run did not end")
	}
	return Summary{}
}

// TestForksBound lets hosts go a wave at a time, once a whole wave is in
// flight: the runner must fill every fork and never more.
func TestForksBound(t *testing.T) {
	const n, forks = 40, 7
	var inFlight, peak atomic.Int32
	started, release := make(chan string), make(chan struct{})
	work := func(ctx context.Context, host string, step func(string)) (Answer, error) {
		k := inFlight.Add(1)
		for p := peak.Load(); k > p && !peak.CompareAndSwap(p, k); p = peak.Load() {
		}
		started <- host
		<-release
		inFlight.Add(-1)
		return Answer{}, nil
	}
	go func() {
		for left := n; left > 0; left -= min(forks, left) {
			for range min(forks, left) {
				<-started
			}
			for range min(forks, left) {
				release <- struct{}{}
			}
		}
	}()
	s := runWithin(t, context.Background(), hosts(n), work, Options{Forks: forks})
	if s.Count(StateDone) != n || peak.Load() != forks {
		t.Errorf("done %d, peak parallelism %d; want %d and %d", s.Count(StateDone), peak.Load(), n, forks)
	}
}

// TestStopFinishesInFlight: the first interrupt lets running hosts finish
// and starts no other.
func TestStopFinishesInFlight(t *testing.T) {
	stop, started, release := make(chan struct{}), make(chan struct{}), make(chan struct{})
	work := func(ctx context.Context, host string, step func(string)) (Answer, error) {
		started <- struct{}{}
		<-release
		return Answer{}, nil
	}
	go func() { // interrupt once every fork is busy, then let them finish
		for range 3 {
			<-started
		}
		close(stop)
		close(release)
	}()
	var events []Event
	s := runWithin(t, context.Background(), hosts(20), work, Options{Forks: 3, Batches: []Size{{N: 10}}, Stop: stop,
		Events: func(e Event) { events = append(events, e) }})
	if s.Count(StateDone) != 3 || s.Count(StateNotStarted) != 17 || s.Stopped == "" {
		t.Errorf("states %v, stopped %q; want the 3 in flight done, 17 not started", states(s), s.Stopped)
	}
	checkEvents(t, events, s)
}

// TestAbortCancelsInFlight: the second interrupt cancels running hosts,
// which are reported as aborted, not failed.
func TestAbortCancelsInFlight(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	started := make(chan struct{}, 10)
	work := func(ctx context.Context, host string, step func(string)) (Answer, error) {
		step("apply")
		started <- struct{}{}
		<-ctx.Done()
		return Answer{}, ctx.Err()
	}
	go func() { <-started; <-started; cancel() }()
	var events []Event
	s := runWithin(t, ctx, hosts(5), work, Options{Forks: 2, Events: func(e Event) { events = append(events, e) }})
	if s.Count(StateAborted) != 2 || s.Count(StateNotStarted) != 3 || s.Count(StateFailed) != 0 {
		t.Errorf("states %v; want 2 aborted, 3 not started", states(s))
	}
	checkEvents(t, events, s)
}

// TestPauseInterruptedByStop: an interrupt during the hour's pause between
// batches ends the run at once, starting no other batch.
func TestPauseInterruptedByStop(t *testing.T) {
	stop := make(chan struct{})
	var events []Event
	opts := Options{Batches: []Size{{N: 1}}, Pause: time.Hour, Stop: stop,
		Events: func(e Event) {
			events = append(events, e)
			if e.Kind == EventPause {
				close(stop)
			}
		}}
	s := runWithin(t, context.Background(), hosts(3), failing(), opts)
	if s.Count(StateDone) != 1 || s.Count(StateNotStarted) != 2 || s.Stopped == "" {
		t.Errorf("states %v, stopped %q", states(s), s.Stopped)
	}
	checkEvents(t, events, s)
	var kinds []EventKind
	for _, e := range events {
		kinds = append(kinds, e.Kind)
	}
	want := []EventKind{EventBatch, EventHostStart, EventStep, EventHostEnd, EventPause, EventEnd}
	if !slices.Equal(kinds, want) {
		t.Errorf("events %v, want %v", kinds, want)
	} else if events[4].Duration != time.Hour {
		t.Errorf("pause event for %v, want 1h", events[4].Duration)
	}
}

// TestAnswerKept: a host's result carries what its helper answered, also
// when the host failed after answering.
func TestAnswerKept(t *testing.T) {
	work := func(ctx context.Context, host string, step func(string)) (Answer, error) {
		a := Answer{Result: &proto.Result{Agent: host}, Exit: 2}
		if host == "h01" {
			return a, errors.New("verify failed")
		}
		return a, nil
	}
	s := Run(context.Background(), hosts(2), work, Options{MaxFailures: Size{N: 1}})
	for _, h := range s.Hosts {
		if h.Result == nil || h.Result.Agent != h.Host || h.Exit != 2 {
			t.Errorf("%s (%s): answer %+v, exit %d; want the helper's", h.Host, h.State, h.Result, h.Exit)
		}
	}
	if s.Hosts[1].State != StateFailed || s.Err() == nil {
		t.Errorf("h01 %s, summary error %v; want failed and an error", s.Hosts[1].State, s.Err())
	}
}
