package runner

import "time"

// EventKind names what happened.
type EventKind string

const (
	EventBatch     EventKind = "batch"      // a batch starts: Batch, Hosts
	EventHostStart EventKind = "host-start" // Host
	EventStep      EventKind = "step"       // Host entered Step
	EventHostEnd   EventKind = "host-end"   // Host ended in State, with Err
	EventPause     EventKind = "pause"      // waiting Duration before the next batch
	EventEnd       EventKind = "end"        // the run ended; Reason when early
)

// Event is one thing that happened during a run.
type Event struct {
	Time     time.Time
	Kind     EventKind
	Batch    int
	Hosts    []string
	Host     string
	Step     string
	State    State
	Err      error
	Duration time.Duration
	Reason   string
}
