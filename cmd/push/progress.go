package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/kasmfleet/push/runner"
)

// progress renders runner events as they happen.
type progress interface {
	event(runner.Event)
	finish()
}

// newProgress picks the live view on a terminal, plain lines elsewhere,
// and a JSON stream with --json.
func newProgress(w io.Writer, asJSON, tty, color bool, batches int) progress {
	switch {
	case asJSON:
		return &jsonProgress{enc: json.NewEncoder(w)}
	case tty:
		return &liveProgress{w: w, color: color, batches: batches, steps: map[string]string{}}
	}
	return &plainProgress{w: w}
}

// plainProgress prints one line per event.
type plainProgress struct{ w io.Writer }

func (p *plainProgress) event(e runner.Event) {
	if line := eventLine(e); line != "" {
		fmt.Fprintln(p.w, line)
	}
}

func (p *plainProgress) finish() {}

func eventLine(e runner.Event) string {
	switch e.Kind {
	case runner.EventBatch:
		return fmt.Sprintf("batch %d: %s", e.Batch, strings.Join(e.Hosts, ", "))
	case runner.EventStep:
		return fmt.Sprintf("%s: %s", e.Host, e.Step)
	case runner.EventHostEnd:
		if e.Err != nil {
			return fmt.Sprintf("%s: %s after %s: %v", e.Host, e.State, e.Duration.Round(time.Millisecond), e.Err)
		}
		return fmt.Sprintf("%s: %s in %s", e.Host, e.State, e.Duration.Round(time.Millisecond))
	case runner.EventPause:
		return fmt.Sprintf("pausing %s before the next batch", e.Duration)
	case runner.EventEnd:
		if e.Reason != "" {
			return "stopped: " + e.Reason
		}
	}
	return ""
}

// jsonProgress writes each event as a versioned JSON line.
type jsonProgress struct{ enc *json.Encoder }

type jsonEvent struct {
	Version  int      `json:"version"`
	Time     string   `json:"time"`
	Kind     string   `json:"kind"`
	Batch    int      `json:"batch,omitempty"`
	Hosts    []string `json:"hosts,omitempty"`
	Host     string   `json:"host,omitempty"`
	Step     string   `json:"step,omitempty"`
	State    string   `json:"state,omitempty"`
	Error    string   `json:"error,omitempty"`
	Duration float64  `json:"duration_seconds,omitempty"`
	Reason   string   `json:"reason,omitempty"`
}

func (p *jsonProgress) event(e runner.Event) {
	j := jsonEvent{Version: jsonVersion, Time: e.Time.UTC().Format(time.RFC3339Nano), Kind: string(e.Kind),
		Batch: e.Batch, Hosts: e.Hosts, Host: e.Host, Step: e.Step, State: string(e.State),
		Duration: e.Duration.Seconds(), Reason: e.Reason}
	if e.Err != nil {
		j.Error = e.Err.Error()
	}
	p.enc.Encode(j)
}

func (p *jsonProgress) finish() {}

// liveProgress redraws a small view of the fleet on a terminal: the
// batch, done and failed counts, and what each host in flight is doing.
type liveProgress struct {
	w                     io.Writer
	color                 bool
	batches, batch        int
	done, failed, aborted int
	steps                 map[string]string // hosts in flight → step
	failures              []string
	lines                 int
	last                  time.Time
}

func (p *liveProgress) event(e runner.Event) {
	switch e.Kind {
	case runner.EventBatch:
		p.batch = e.Batch
	case runner.EventHostStart, runner.EventStep:
		p.steps[e.Host] = or(e.Step, "starting")
	case runner.EventHostEnd:
		delete(p.steps, e.Host)
		switch e.State {
		case runner.StateDone:
			p.done++
		case runner.StateFailed:
			p.failed++
			p.failures = append(p.failures, fmt.Sprintf("%s: %v", e.Host, e.Err))
		default:
			p.aborted++
		}
	}
	if e.Kind == runner.EventBatch || e.Kind == runner.EventEnd || e.Kind == runner.EventHostEnd || time.Since(p.last) > 100*time.Millisecond {
		p.draw()
	}
}

func (p *liveProgress) draw() {
	p.last = time.Now()
	var b strings.Builder
	if p.lines > 0 {
		fmt.Fprintf(&b, "\x1b[%dA\x1b[J", p.lines)
	}
	red, reset := "", ""
	if p.color && p.failed > 0 {
		red, reset = "\x1b[31m", "\x1b[0m"
	}
	lines := []string{fmt.Sprintf("batch %d/%d   done %d   %sfailed %d%s   aborted %d   in flight %d",
		p.batch, p.batches, p.done, red, p.failed, reset, p.aborted, len(p.steps))}
	hosts := make([]string, 0, len(p.steps))
	for h := range p.steps {
		hosts = append(hosts, h)
	}
	sort.Strings(hosts)
	for i, h := range hosts {
		if i == 10 {
			lines = append(lines, fmt.Sprintf("  … and %d more", len(hosts)-10))
			break
		}
		lines = append(lines, fmt.Sprintf("  %-24s %s", h, p.steps[h]))
	}
	for _, f := range p.failures[max(0, len(p.failures)-5):] {
		lines = append(lines, "  "+red+"✗ "+reset+f)
	}
	for _, l := range lines {
		b.WriteString(l + "\n")
	}
	p.lines = len(lines)
	io.WriteString(p.w, b.String())
}

func (p *liveProgress) finish() { p.draw() }
