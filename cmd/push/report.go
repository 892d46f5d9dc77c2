package main

import (
	"fmt"
	"io"

	"github.com/kasmfleet/push/playbooks"
	"github.com/kasmfleet/push/remote/proto"
	"github.com/kasmfleet/push/runner"
)

// printReport tells a person what happened on each host.
func printReport(w io.Writer, mode playbooks.Mode, rep runner.Summary) {
	fmt.Fprintln(w)
	unchanged := 0
	for _, h := range rep.Hosts {
		var acts, left []proto.Action
		if h.Result != nil {
			if mode == playbooks.ModeApply {
				acts, left = playbooks.Taken(*h.Result), playbooks.Left(*h.Result)
			} else {
				acts = playbooks.Pending(*h.Result)
			}
		}
		if h.State == runner.StateDone && len(acts) == 0 && len(left) == 0 {
			unchanged++
			continue
		}
		fmt.Fprintf(w, "%s: %s\n", h.Host, hostHeadline(mode, h, len(acts)))
		for _, a := range acts {
			fmt.Fprintf(w, "  %s %s\n", mark(mode), a.Summary)
		}
		for _, a := range left {
			fmt.Fprintf(w, "  - %s: %s\n", a.Summary, a.Error)
		}
		if h.Err != nil {
			fmt.Fprintf(w, "  error: %v\n", h.Err)
		}
		if h.Result != nil {
			for _, c := range h.Result.Checks {
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
	fmt.Fprintf(w, "\n%d done, %d failed, %d aborted, %d not started\n",
		rep.Count(runner.StateDone), rep.Count(runner.StateFailed), rep.Count(runner.StateAborted), rep.Count(runner.StateNotStarted))
	if rep.Stopped != "" {
		fmt.Fprintf(w, "stopped early: %s\n", rep.Stopped)
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
func reportJSON(mode playbooks.Mode, rep runner.Summary, ws []playbooks.WorkspaceOutcome) any {
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
		// Workspaces are the Kasm workspaces' restrictions.
		Workspaces []workspaceJSON `json:"workspaces,omitempty"`
	}{Version: jsonVersion, Mode: string(mode), Stopped: rep.Stopped, Workspaces: workspacesJSON(mode, ws)}
	for _, h := range rep.Hosts {
		j := host{Name: h.Host, State: string(h.State), Exit: h.Exit, Result: h.Result}
		if h.Err != nil {
			j.Error = h.Err.Error()
		}
		out.Hosts = append(out.Hosts, j)
	}
	return out
}
