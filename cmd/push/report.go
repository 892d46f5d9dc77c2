package main

import (
	"fmt"
	"io"

	"github.com/kasmfleet/push/playbooks"
	"github.com/kasmfleet/push/remote/proto"
	"github.com/kasmfleet/push/runner"
)

// printReport tells a person what happened on each host.
func printReport(w io.Writer, mode playbooks.Mode, rep runner.Report) {
	fmt.Fprintln(w)
	unchanged := 0
	for _, h := range rep.Summary.Hosts {
		hr := rep.Hosts[h.Host]
		var acts []proto.Action
		if hr != nil && hr.Result != nil {
			if mode == playbooks.ModeApply {
				acts = playbooks.Taken(*hr.Result)
			} else {
				acts = playbooks.Pending(*hr.Result)
			}
		}
		if h.State == runner.StateDone && len(acts) == 0 {
			unchanged++
			continue
		}
		fmt.Fprintf(w, "%s: %s\n", h.Host, hostHeadline(mode, h, len(acts)))
		for _, a := range acts {
			fmt.Fprintf(w, "  %s %s\n", mark(mode), a.Summary)
		}
		if h.Err != nil {
			fmt.Fprintf(w, "  error: %v\n", h.Err)
		}
		if hr != nil && hr.Result != nil {
			for _, c := range hr.Result.Checks {
				if !c.OK {
					fmt.Fprintf(w, "  verify failed: %s %s: want %s, got %s %s\n", c.Network, c.What, c.Want, c.Got, c.Error)
				}
			}
		}
	}
	if unchanged > 0 {
		word := "converged, nothing to change"
		if mode == playbooks.ModeApply {
			word = "already converged, nothing changed"
		}
		fmt.Fprintf(w, "%d hosts %s\n", unchanged, word)
	}
	s := rep.Summary
	fmt.Fprintf(w, "\n%d done, %d failed, %d aborted, %d not started\n",
		s.Count(runner.StateDone), s.Count(runner.StateFailed), s.Count(runner.StateAborted), s.Count(runner.StateNotStarted))
	if s.Stopped != "" {
		fmt.Fprintf(w, "stopped early: %s\n", s.Stopped)
	}
}

func hostHeadline(mode playbooks.Mode, h runner.HostResult, n int) string {
	switch h.State {
	case runner.StateFailed:
		return "FAILED"
	case runner.StateAborted:
		return "ABORTED in flight: its last apply may be partial; the next apply converges it"
	case runner.StateNotStarted:
		return "not started: left as it was"
	}
	if mode == playbooks.ModeApply {
		return fmt.Sprintf("%d changes, verified", n)
	}
	return fmt.Sprintf("%d changes pending", n)
}

func mark(mode playbooks.Mode) string {
	if mode == playbooks.ModeApply {
		return "✓"
	}
	return "+"
}

// reportJSON is the versioned JSON summary of a run.
func reportJSON(mode playbooks.Mode, rep runner.Report) any {
	type host struct {
		Name   string        `json:"name"`
		State  string        `json:"state"`
		Error  string        `json:"error,omitempty"`
		Exit   int           `json:"helper_exit,omitempty"`
		Result *proto.Result `json:"result,omitempty"`
	}
	out := struct {
		Version int    `json:"version"`
		Mode    string `json:"mode"`
		Stopped string `json:"stopped,omitempty"`
		Hosts   []host `json:"hosts"`
	}{Version: jsonVersion, Mode: string(mode), Stopped: rep.Summary.Stopped}
	for _, h := range rep.Summary.Hosts {
		j := host{Name: h.Host, State: string(h.State)}
		if h.Err != nil {
			j.Error = h.Err.Error()
		}
		if hr := rep.Hosts[h.Host]; hr != nil {
			j.Exit, j.Result = hr.Exit, hr.Result
		}
		out.Hosts = append(out.Hosts, j)
	}
	return out
}
