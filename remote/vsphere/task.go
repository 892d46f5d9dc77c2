package vsphere

import (
	"context"
	"fmt"
	"sync"

	"github.com/kasmfleet/push/remote/proto"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/progress"
)

// Event is progress of one change, for a live display. The last event of
// a change carries its Outcome.
type Event struct {
	Object  string        `json:"object"`
	Message string        `json:"message"`
	Percent int           `json:"percent,omitempty"` // task progress 1-100; 0 as an action starts
	Outcome proto.Outcome `json:"outcome,omitempty"`
}

// emitter calls the caller's progress function one event at a time, as
// VMs are reconfigured concurrently.
type emitter struct {
	mu sync.Mutex
	fn func(Event)
}

func (e *emitter) emit(ev Event) {
	if e == nil || e.fn == nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.fn(ev)
}

// wait waits for t with the caller's ctx, reporting its progress. A task
// that fails gives the vSphere fault in words, wrapped in ErrTask; a
// context that ends first says the task may still complete.
func wait(ctx context.Context, t *object.Task, obj, what string, em *emitter) error {
	ch := make(chan progress.Report)
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		last := -1
		for r := range ch {
			p := int(r.Percentage())
			if r.Error() == nil && p != last && p > 0 { // 0%: the action starting, said already
				last = p
				em.emit(Event{Object: obj, Message: what, Percent: p})
			}
		}
	}()
	sunk := false
	sink := progress.SinkFunc(func() chan<- progress.Report { sunk = true; return ch })
	_, err := t.WaitForResult(ctx, sink)
	if !sunk {
		close(ch) // WaitForResult failed before it took the channel
	}
	<-drained
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return fmt.Errorf("%s: waiting for task %s to %s: %w (the task may still complete in vCenter)", obj, t.Reference().Value, what, ctx.Err())
	default:
		return fmt.Errorf("%s: %w: %s: %w", obj, ErrTask, what, inWords(err))
	}
}
