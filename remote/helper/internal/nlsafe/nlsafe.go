// Package nlsafe wraps the netlink dumps push makes so that a dump the
// kernel interrupted (links or addresses changed meanwhile: containers
// starting, Docker making a VLAN link) is read again instead of failing
// the run, as containernetworking/plugins pkg/netlinksafe does.
package nlsafe

import (
	"errors"
	"fmt"

	"github.com/vishvananda/netlink"
)

// attempts bounds the re-reads; each interrupted dump means something
// changed, and changes settle within a few.
const attempts = 10

// retry runs dump until it is not interrupted, at most attempts times.
func retry[T any](dump func() (T, error)) (T, error) {
	var out T
	var err error
	for range attempts {
		out, err = dump()
		if !errors.Is(err, netlink.ErrDumpInterrupted) {
			return out, err
		}
	}
	return out, fmt.Errorf("still interrupted after %d reads: %w", attempts, err)
}

// LinkList lists every link.
func LinkList(h *netlink.Handle) ([]netlink.Link, error) {
	return retry(h.LinkList)
}

// AddrList lists the addresses of link (every link when nil).
func AddrList(h *netlink.Handle, link netlink.Link, family int) ([]netlink.Addr, error) {
	return retry(func() ([]netlink.Addr, error) { return h.AddrList(link, family) })
}
