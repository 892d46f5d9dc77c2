package helper

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/kasmfleet/push/remote/proto"
)

// The probes run at once: each of the first maxProbes waits until all of
// them have started, which never happens when they run one by one. Their
// checks keep the probes' order, and no more than maxProbes run at once.
func TestRunProbesAtOnceInOrder(t *testing.T) {
	const n = maxProbes + 3
	var mu sync.Mutex
	running, most := 0, 0
	allStarted := make(chan struct{})
	started := 0
	var probes []func() []proto.Check
	for i := range n {
		probes = append(probes, func() []proto.Check {
			mu.Lock()
			running++
			most = max(most, running)
			started++
			if started == maxProbes {
				close(allStarted)
			}
			mu.Unlock()
			if i < maxProbes {
				select {
				case <-allStarted:
				case <-time.After(time.Minute):
					t.Errorf("probe %d: the first %d probes never ran at once", i, maxProbes)
				}
			}
			mu.Lock()
			running--
			mu.Unlock()
			return []proto.Check{{Network: fmt.Sprint(i)}, {Network: fmt.Sprint(i, "b")}}
		})
	}
	checks := runProbes(probes)
	if len(checks) != 2*n {
		t.Fatalf("got %d checks, want %d", len(checks), 2*n)
	}
	for i := range n {
		if checks[2*i].Network != fmt.Sprint(i) || checks[2*i+1].Network != fmt.Sprint(i, "b") {
			t.Fatalf("checks out of order at probe %d: %+v", i, checks[2*i:2*i+2])
		}
	}
	if most > maxProbes {
		t.Errorf("%d probes ran at once, want at most %d", most, maxProbes)
	}
}
