// Package nstest gives tests throwaway network namespaces.
package nstest

import (
	"runtime"
	"testing"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"

	"github.com/kasmfleet/push/examples/lab/needs"
)

// New returns a new, empty network namespace (loopback up) and a netlink
// handle in it. Both are closed when the test ends; the kernel frees the
// namespace with its last reference, so nothing is left behind.
func New(t testing.TB) (netns.NsHandle, *netlink.Handle) {
	t.Helper()
	needs.Root(t)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	orig, err := netns.Get()
	if err != nil {
		t.Fatalf("current netns: %v", err)
	}
	defer orig.Close()
	ns, err := netns.New()
	if err != nil {
		t.Fatalf("new netns: %v", err)
	}
	if err := netns.Set(orig); err != nil {
		t.Fatalf("back to the original netns: %v", err)
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

// Do runs f with the calling goroutine's thread in ns.
func Do(ns netns.NsHandle, f func() error) error {
	runtime.LockOSThread()
	orig, err := netns.Get()
	if err != nil {
		runtime.UnlockOSThread()
		return err
	}
	defer orig.Close()
	if err := netns.Set(ns); err != nil {
		runtime.UnlockOSThread()
		return err
	}
	ferr := f()
	if err := netns.Set(orig); err != nil {
		// Leave the thread locked: Go will end it rather than reuse it
		// in the wrong namespace.
		return err
	}
	runtime.UnlockOSThread()
	return ferr
}
