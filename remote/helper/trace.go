package helper

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
)

// trace writes one line to the configured trace writer, if any.
func (h *Helper) trace(format string, args ...any) {
	if h.cfg.Trace != nil {
		fmt.Fprintf(h.cfg.Trace, "push-helper: "+format+"\n", args...)
	}
}

// StepTrace is a trace writer that writes to w and then, as each apply
// step starts, waits for a line on the named FIFO before the step is
// taken (PUSH_HELPER_STEP): a test or an admin can stop the helper at an
// exact step boundary.
func StepTrace(w io.Writer, fifo string) io.Writer { return stepTrace{w, fifo} }

type stepTrace struct {
	w    io.Writer
	fifo string
}

func (s stepTrace) Write(p []byte) (int, error) {
	n, err := s.w.Write(p)
	if err != nil || !bytes.HasPrefix(p, []byte("push-helper: start ")) {
		return n, err
	}
	f, err := os.Open(s.fifo)
	if err != nil {
		return n, err
	}
	defer f.Close()
	_, err = bufio.NewReader(f).ReadString('\n')
	if err == io.EOF {
		err = nil
	}
	return n, err
}
