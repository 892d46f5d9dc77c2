package nlsafe_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/vishvananda/netlink"

	"github.com/kasmfleet/push/examples/lab/nstest"
	"github.com/kasmfleet/push/remote/helper/internal/nlsafe"
)

// TestDumpsWhileLinksChurn lists links and addresses in a namespace
// where another goroutine keeps adding and deleting veth pairs: every
// dump through nlsafe succeeds, however often the kernel interrupts one.
func TestDumpsWhileLinksChurn(t *testing.T) {
	ns, h := nstest.New(t)
	ch, err := netlink.NewHandleAt(ns) // the churn's own socket, so it interleaves with the dumps
	if err != nil {
		t.Fatal(err)
	}
	defer ch.Close()
	for i := range 100 { // enough links that a dump spans several messages
		if err := h.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: fmt.Sprintf("s%d", i)}, PeerName: fmt.Sprintf("p%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		churn := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "churn0"}, PeerName: "churn1"}
		for {
			select {
			case <-stop:
				return
			default:
			}
			ch.LinkAdd(churn)
			ch.LinkDel(churn)
		}
	}()
	raw := 0
	for range 300 {
		if _, err := h.LinkList(); errors.Is(err, netlink.ErrDumpInterrupted) {
			raw++
		}
		if _, err := nlsafe.LinkList(h); err != nil {
			t.Fatalf("LinkList: %v", err)
		}
		if _, err := nlsafe.AddrList(h, nil, netlink.FAMILY_ALL); err != nil {
			t.Fatalf("AddrList: %v", err)
		}
	}
	close(stop)
	wg.Wait()
	t.Logf("the kernel interrupted %d of 300 plain link dumps", raw)
}
