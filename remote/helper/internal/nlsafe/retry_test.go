package nlsafe

import (
	"errors"
	"testing"

	"github.com/vishvananda/netlink"
)

func TestRetry(t *testing.T) {
	for _, c := range []struct {
		name        string
		interrupted int // dumps interrupted before one is not
		other       error
		wantCalls   int
		wantErr     error
	}{
		{"first read whole", 0, nil, 1, nil},
		{"two interrupted", 2, nil, 3, nil},
		{"always interrupted", 100, nil, attempts, netlink.ErrDumpInterrupted},
		{"other error not retried", 0, errors.New("EPERM"), 1, nil},
	} {
		calls := 0
		got, err := retry(func() (int, error) {
			calls++
			if calls <= c.interrupted {
				return -1, netlink.ErrDumpInterrupted
			}
			return 7, c.other
		})
		switch {
		case calls != c.wantCalls:
			t.Errorf("%s: %d dumps, want %d", c.name, calls, c.wantCalls)
		case c.other != nil && !errors.Is(err, c.other):
			t.Errorf("%s: error %v, want %v", c.name, err, c.other)
		case c.wantErr != nil && !errors.Is(err, c.wantErr):
			t.Errorf("%s: error %v, want %v", c.name, err, c.wantErr)
		case c.wantErr == nil && c.other == nil && (err != nil || got != 7):
			t.Errorf("%s: %d, %v; want 7, nil", c.name, got, err)
		}
	}
}
