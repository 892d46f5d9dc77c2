package ssh

import (
	"bytes"
	"errors"
	"fmt"
)

// What one exec may send before push ends it. The helper's answer is one
// proto.Result: it lists only the spec's objects and push's own, a few KiB
// on a typical host; 50 networks with 100 attached containers each come
// to about 400 KiB. Its stderr carries at most a usage text or one error;
// the install script prints one marker line. The limits leave a wide
// margin over that and bound the controller's memory per host whatever a
// host sends.
const (
	MaxStdout = 4 << 20
	MaxStderr = 1 << 20
)

// headSize is how much of each stream a RemoteError keeps for the log.
const headSize = 16 << 10

// errOverLimit stops the session's copy of a stream that passed its limit.
var errOverLimit = errors.New("output limit reached")

// capped keeps what a stream sends up to max bytes, in the chunks it
// came in (no regrowing buffer leaves garbage behind); past max it reports
// the stream on over (once) and refuses more.
type capped struct {
	stream string
	max, n int
	chunks [][]byte
	over   chan<- string
	full   bool
}

func (c *capped) Write(p []byte) (int, error) {
	if c.full {
		return 0, errOverLimit
	}
	take := min(len(p), c.max-c.n)
	c.chunks = append(c.chunks, bytes.Clone(p[:take]))
	c.n += take
	if take < len(p) {
		c.full = true
		c.over <- c.stream // buffered for both streams
		return take, errOverLimit
	}
	return take, nil
}

// bytes is everything kept.
func (c *capped) bytes() []byte { return bytes.Join(c.chunks, nil) }

// head is the first bytes kept, for an error.
func (c *capped) head() []byte {
	var out []byte
	for _, ch := range c.chunks {
		if len(out) >= headSize {
			break
		}
		out = append(out, ch[:min(len(ch), headSize-len(out))]...)
	}
	return out
}

// limitProblem says what a host that passed a limit did.
func limitProblem(stream string) string {
	max := MaxStdout
	if stream == "stderr" {
		max = MaxStderr
	}
	return fmt.Sprintf("sent more than %d MiB on %s; push ended the command", max>>20, stream)
}
