package ssh

import (
	"errors"
	"fmt"
)

// What one exec may send before push ends it. The helper's answer is one
// proto.Result: it lists only the spec's objects and push's own, a few KiB
// on a typical host and well under 1 MiB with hundreds of networks and
// thousands of attached containers; its stderr carries at most a usage
// line or one error. The install script prints one marker line. The
// limits leave a wide margin over that and bound the controller's memory
// per host whatever a host sends.
const (
	MaxStdout = 8 << 20
	MaxStderr = 1 << 20
)

// headSize is how much of each stream a RemoteError keeps for the log.
const headSize = 16 << 10

// errOverLimit stops the session's copy of a stream that passed its limit.
var errOverLimit = errors.New("output limit reached")

// capped keeps what a stream sends up to max bytes; past it, it reports
// the stream on over (once) and refuses more.
type capped struct {
	stream string
	max    int
	buf    []byte
	over   chan<- string
	full   bool
}

func (c *capped) Write(p []byte) (int, error) {
	if c.full {
		return 0, errOverLimit
	}
	if room := c.max - len(c.buf); len(p) > room {
		c.buf = append(c.buf, p[:room]...)
		c.full = true
		c.over <- c.stream // buffered for both streams
		return room, errOverLimit
	}
	c.buf = append(c.buf, p...)
	return len(p), nil
}

// limitProblem says what a host that passed a limit did.
func limitProblem(stream string) string {
	max := MaxStdout
	if stream == "stderr" {
		max = MaxStderr
	}
	return fmt.Sprintf("sent more than %d MiB on %s; push ended the command", max>>20, stream)
}
