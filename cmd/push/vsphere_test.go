package main

import (
	"testing"

	"github.com/kasmfleet/push/remote/proto"
	"github.com/kasmfleet/push/remote/vsphere"
)

func TestVSphereEventLine(t *testing.T) {
	obj := "port group kasm-trunk"
	for _, tc := range []struct {
		e    vsphere.Event
		want string
	}{
		{vsphere.Event{Object: obj, Message: "reconfigure port group kasm-trunk: VLAN trunk 150"},
			"vsphere lab: port group kasm-trunk: reconfigure port group kasm-trunk: VLAN trunk 150"},
		{vsphere.Event{Object: obj, Message: "reconfigure it", Percent: 40}, ""},
		{vsphere.Event{Object: obj, Message: "reconfigure port group kasm-trunk: VLAN trunk 150", Percent: 100, Outcome: proto.OutcomeDone},
			"vsphere lab: port group kasm-trunk: done"},
		{vsphere.Event{Object: obj, Message: "no permission", Outcome: proto.OutcomeFailed},
			"vsphere lab: port group kasm-trunk: failed: no permission"},
	} {
		if got := vsphereEventLine("lab", tc.e); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.e, got, tc.want)
		}
	}
}
