// Package nstest gives tests throwaway network namespaces.
package nstest

import (
	"testing"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"

	"github.com/kasmfleet/push/examples/lab/needs"
	"github.com/kasmfleet/push/remote/helper/hostnet"
)

// New returns a new, empty network namespace (loopback up) and a netlink
// handle in it. Both are closed when the test ends; the kernel frees the
// namespace with its last reference, so nothing is left behind.
func New(t testing.TB) (netns.NsHandle, *netlink.Handle) {
	t.Helper()
	needs.Root(t)
	ns, err := hostnet.NewNS()
	if err != nil {
		t.Fatal(err)
	}
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		ns.Close()
		t.Fatalf("netlink handle: %v", err)
	}
	t.Cleanup(func() { h.Close(); ns.Close() })
	lo, err := h.LinkByName("lo")
	if err == nil {
		err = h.LinkSetUp(lo)
	}
	if err != nil {
		t.Fatalf("lo up: %v", err)
	}
	return ns, h
}

// Do runs f inside ns.
func Do(ns netns.NsHandle, f func() error) error { return hostnet.InNS(ns, f) }
