package hostnet

import (
	"fmt"
	"runtime"

	"github.com/vishvananda/netns"
)

// NewNS creates an unnamed network namespace and returns a handle to it;
// the calling thread stays where it was. The kernel frees the namespace
// (and the links in it) when the last handle is closed.
func NewNS() (netns.NsHandle, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	orig, err := netns.Get()
	if err != nil {
		return netns.None(), fmt.Errorf("current netns: %w", err)
	}
	defer orig.Close()
	ns, err := netns.New()
	if err != nil {
		return netns.None(), fmt.Errorf("new netns: %w", err)
	}
	if err := netns.Set(orig); err != nil {
		ns.Close()
		// This thread is in the wrong namespace; let Go retire it.
		runtime.LockOSThread()
		return netns.None(), fmt.Errorf("back to the original netns: %w", err)
	}
	return ns, nil
}

// InNS runs f on a thread inside ns. Sockets f opens stay in ns after
// it returns, so a connection dialled in f can be used anywhere.
func InNS(ns netns.NsHandle, f func() error) error {
	runtime.LockOSThread()
	orig, err := netns.Get()
	if err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("current netns: %w", err)
	}
	defer orig.Close()
	if err := netns.Set(ns); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("enter netns: %w", err)
	}
	ferr := f()
	if err := netns.Set(orig); err != nil {
		// Leave the thread locked: Go ends it rather than reuse it in
		// the wrong namespace.
		return fmt.Errorf("leave netns: %w", err)
	}
	runtime.UnlockOSThread()
	return ferr
}
