package ssh

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/kasmfleet/push/examples/lab/sshfleet"
)

func TestTimeouts(t *testing.T) {
	f := sshfleet.StartT(t, 2, sshfleet.Options{})
	// bound tells a timeout that fired (after 0.3 to 1 s) from one that
	// did not (sleep 30, or the test context's 2 minutes) with room for a
	// loaded machine: an upper bound near the timeout would be a timed test.
	const bound = 20 * time.Second
	within := func(t *testing.T, limit time.Duration, fn func() error) error {
		t.Helper()
		start := time.Now()
		err := fn()
		if took := time.Since(start); took > limit {
			t.Errorf("took %s, want at most %s", took, limit)
		}
		return err
	}

	t.Run("stalled server times out in the handshake", func(t *testing.T) {
		if err := f.Pause(0); err != nil {
			t.Fatal(err)
		}
		defer f.Resume(0)
		o := testOptions(t)
		o.HandshakeTimeout = time.Second
		err := within(t, bound, func() error {
			_, err := newDialer(t, o).Dial(testCtx(t), rootConfig(f, 0))
			return err
		})
		var timeout *TimeoutError
		if !errors.As(err, &timeout) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("got %v, want TimeoutError", err)
		}
	})

	t.Run("unreachable host times out in connect", func(t *testing.T) {
		if err := f.LinkDown(1); err != nil {
			t.Fatal(err)
		}
		defer f.LinkUp(1)
		o := testOptions(t)
		o.DialTimeout = time.Second
		err := within(t, bound, func() error {
			_, err := newDialer(t, o).Dial(testCtx(t), rootConfig(f, 1))
			return err
		})
		var timeout *TimeoutError
		if !errors.As(err, &timeout) {
			t.Fatalf("got %v, want TimeoutError", err)
		}
	})

	t.Run("slow command times out", func(t *testing.T) {
		o := testOptions(t)
		o.OpTimeout = time.Second
		conn := dial(t, newDialer(t, o), rootConfig(f, 0))
		err := within(t, bound, func() error {
			_, err := conn.Exec(testCtx(t), "sleep 30", nil)
			return err
		})
		var timeout *TimeoutError
		if !errors.As(err, &timeout) {
			t.Fatalf("got %v, want TimeoutError", err)
		}
		// The connection is still good for the next operation.
		mustExec(t, conn, "true")
	})

	t.Run("dead peer noticed by keepalives", func(t *testing.T) {
		o := testOptions(t)
		o.KeepAliveInterval = 300 * time.Millisecond
		o.KeepAliveCountMax = 2
		conn := dial(t, newDialer(t, o), rootConfig(f, 1))
		if err := f.LinkDown(1); err != nil {
			t.Fatal(err)
		}
		defer f.LinkUp(1)
		err := within(t, bound, func() error {
			_, err := conn.Exec(testCtx(t), "sleep 30", nil)
			return err
		})
		var lost *ConnectionLostError
		if !errors.As(err, &lost) {
			t.Fatalf("got %v, want ConnectionLostError", err)
		}
	})

	t.Run("caller's cancellation", func(t *testing.T) {
		conn := dial(t, newDialer(t, testOptions(t)), rootConfig(f, 0))
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		err := within(t, bound, func() error {
			_, err := conn.Exec(ctx, "sleep 30", nil)
			return err
		})
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("got %v, want the context's deadline", err)
		}
	})
}
