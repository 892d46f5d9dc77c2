package kasmdouble

import (
	"context"
	"fmt"
)

// grew wakes the waiters of WaitFor; d.mu is held.
func (d *Double) grew() {
	close(d.logged)
	d.logged = make(chan struct{})
}

// WaitFor blocks until a logged request matches, and returns it with its
// index in the log (the first match at or after index from).
func (d *Double) WaitFor(ctx context.Context, from int, match func(Request) bool) (Request, int, error) {
	for {
		d.mu.Lock()
		for i := from; i < len(d.log); i++ {
			if match(d.log[i]) {
				r := d.log[i]
				d.mu.Unlock()
				return r, i, nil
			}
		}
		from = max(from, len(d.log))
		wake := d.logged
		d.mu.Unlock()
		select {
		case <-ctx.Done():
			return Request{}, 0, fmt.Errorf("kasm double: waiting for a request: %w", ctx.Err())
		case <-wake:
		}
	}
}

// Disabled matches an update_server call that disables the agent with
// hostname.
func Disabled(hostname string) func(Request) bool {
	return func(r Request) bool {
		return r.Path == "/api/admin/update_server" && r.ServerID == "srv-"+hostname && r.Enabled != nil && !*r.Enabled
	}
}
