package importinv

import (
	"context"
	"sync"

	"github.com/kasmfleet/push/playbooks"
	"github.com/kasmfleet/push/remote/proto"
)

// Survey asks each host's helper, once and read only, for everything import
// writes (facts with the survey option), at most forks hosts at a time. A
// host that cannot be read keeps its place with its error.
func Survey(ctx context.Context, t playbooks.Transport, hosts []playbooks.Host, forks int) []Host {
	out := make([]Host, len(hosts))
	sem := make(chan struct{}, max(forks, 1))
	var wg sync.WaitGroup
	for i, h := range hosts {
		out[i] = Host{Name: h.Name, Address: h.Conn.Address, User: h.Conn.User, Port: h.Conn.Port}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			req := proto.Request{Version: proto.Version, Verb: proto.VerbFacts, Spec: &proto.HostSpec{},
				Options: proto.Options{Survey: true}}
			res, _, err := t.Helper(ctx, h, req, func(string) {})
			switch {
			case err != nil:
				out[i].Err = err.Error()
			case res.Error != "":
				out[i].Err = res.Error
			case res.Facts == nil:
				out[i].Err = "the helper reported no facts"
			default:
				out[i].Facts = res.Facts
			}
		}()
	}
	wg.Wait()
	return out
}

// Unread counts the hosts that could not be read, or not whole (Problem).
func Unread(hosts []Host) int {
	n := 0
	for _, h := range hosts {
		if h.Problem() != "" {
			n++
		}
	}
	return n
}

// Problem says why the host is missing from the inventory, or why its
// networks are: the host could not be read, or its Docker did not answer.
// "" when it was read whole.
func (h Host) Problem() string {
	switch {
	case h.Facts == nil:
		return h.Err
	case h.Facts.Docker.Unreachable != "":
		return "Docker did not answer: " + h.Facts.Docker.Unreachable
	}
	return ""
}
