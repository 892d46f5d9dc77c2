package runner

import (
	"context"
	"errors"
	"fmt"
	"sync"
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
	if events[len(events)-1].Kind != EventEnd {
		t.Errorf("last event %v, want end", events[len(events)-1].Kind)
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
			s := Run(context.Background(), hosts(10), failing(tc.fail...), Options{
				Batches: []Size{{N: 1}, {N: 3}}, MaxFailures: tc.max, Forks: 1})
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

func TestForksBound(t *testing.T) {
	var inFlight, peak atomic.Int32
	work := func(ctx context.Context, host string, step func(string)) (Answer, error) {
		n := inFlight.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(5 * time.Millisecond)
		inFlight.Add(-1)
		return Answer{}, nil
	}
	s := Run(context.Background(), hosts(40), work, Options{Forks: 7})
	if s.Count(StateDone) != 40 || peak.Load() != 7 {
		t.Errorf("done %d, peak parallelism %d; want 40 and 7", s.Count(StateDone), peak.Load())
	}
}

// TestStopFinishesInFlight: the first interrupt lets running hosts finish
// and starts no other.
func TestStopFinishesInFlight(t *testing.T) {
	stop := make(chan struct{})
	var once sync.Once
	release := make(chan struct{})
	work := func(ctx context.Context, host string, step func(string)) (Answer, error) {
		once.Do(func() { close(stop); close(release) })
		<-release
		time.Sleep(10 * time.Millisecond)
		return Answer{}, nil
	}
	s := Run(context.Background(), hosts(20), work, Options{Forks: 3, Batches: []Size{{N: 10}}, Stop: stop})
	if got := s.Count(StateDone); got < 1 || got > 3 {
		t.Errorf("%d hosts done; want those in flight (1 to 3)", got)
	}
	if s.Count(StateDone)+s.Count(StateNotStarted) != 20 || s.Stopped == "" {
		t.Errorf("states %v, stopped %q", states(s), s.Stopped)
	}
}

// TestAbortCancelsInFlight: the second interrupt cancels running hosts,
// which are reported as aborted, not failed.
func TestAbortCancelsInFlight(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{}, 10)
	work := func(ctx context.Context, host string, step func(string)) (Answer, error) {
		step("apply")
		started <- struct{}{}
		<-ctx.Done()
		return Answer{}, ctx.Err()
	}
	go func() { <-started; <-started; cancel() }()
	s := Run(ctx, hosts(5), work, Options{Forks: 2})
	if s.Count(StateAborted) != 2 || s.Count(StateNotStarted) != 3 || s.Count(StateFailed) != 0 {
		t.Errorf("states %v; want 2 aborted, 3 not started", states(s))
	}
}

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
	began := time.Now()
	s := Run(context.Background(), hosts(3), failing(), opts)
	if time.Since(began) > time.Minute || s.Count(StateDone) != 1 || s.Count(StateNotStarted) != 2 {
		t.Errorf("states %v after %v", states(s), time.Since(began))
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
