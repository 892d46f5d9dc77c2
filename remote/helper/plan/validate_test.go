package plan

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/kasmfleet/push/remote/helper/hostnet"
	"github.com/kasmfleet/push/remote/proto"
)

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(s *proto.HostSpec)
		want   []string // substrings of the error; none: valid
	}{
		{"valid", func(s *proto.HostSpec) {}, nil},
		{"seed's two mistakes", func(s *proto.HostSpec) {
			s.VLANs[0].Subnet, s.VLANs[0].IPRange, s.VLANs[0].Mode, s.VLANs[0].Gateway, s.VLANs[0].ProbeIP =
				"192.168.150.0/26", "192.168.75.16/28", "12", "192.168.150.1", ""
		}, []string{"ip-range 192.168.75.16/28 is outside subnet 192.168.150.0/26", `ipvlan mode "12" is not one of l2, l3, l3s`}},
		{"gateway outside", func(s *proto.HostSpec) { s.VLANs[1].Gateway = "192.0.2.1" }, []string{"gateway 192.0.2.1 is outside subnet 192.0.2.128/25"}},
		{"probe outside range", func(s *proto.HostSpec) { s.VLANs[0].ProbeIP = "192.0.2.99" }, []string{"probe ip 192.0.2.99 is outside ip-range"}},
		{"vlan without trunk", func(s *proto.HostSpec) { s.Trunk = nil }, []string{"vlan networks need a trunk NIC"}},
		{"vid out of range and shared", func(s *proto.HostSpec) { s.VLANs[0].VID, s.VLANs[1].VID = 4095, 4095 }, []string{"4095 is not within 1-4094", "VLAN 4095 is also used by z_vlan150"}},
		{"bridge name too long", func(s *proto.HostSpec) { s.Bridges[0].Bridge = "z_custom_abcdefgh" }, []string{"bridge name \"z_custom_abcdefgh\" must be 1-15 bytes"}},
		{"add address is not the source", func(s *proto.HostSpec) { s.Bridges[0].AddAddress = "198.51.100.112/24" }, []string{"add address 198.51.100.112/24 is not the source ip 198.51.100.111"}},
		{"duplicate name", func(s *proto.HostSpec) { s.Bridges[1].Name = "z_vlan150" }, []string{"network z_vlan150: named twice"}},
		{"bad mac and long nic", func(s *proto.HostSpec) { s.Trunk = &proto.Trunk{NIC: "enp0s31f6abc", MAC: "nope"} }, []string{`MAC "nope"`, "too long for VLAN sub-interfaces"}},
		{"https url", func(s *proto.HostSpec) { s.VLANs[0].VerifyURL = "https://x/" }, []string{"only http:// is supported"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := spec()
			tc.change(&s)
			err := Validate(s)
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("Validate: %v, want valid", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate succeeded, want errors %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestCheckSafety(t *testing.T) {
	base := converged(spec())
	for _, tc := range []struct {
		name    string
		session []string
		trunk   string
		want    string
	}{
		{"management NIC apart", []string{"eth0"}, "eth1", ""},
		{"no session (boot)", nil, "eth1", ""},
		{"trunk carries the session", []string{"eth1"}, "eth1", "trunk NIC eth1 carries the session"},
		{"session over a VLAN parent", []string{"eth1.150", "eth1"}, "eth1", "parent eth1.150 carries the session"},
		{"bridge carries the session", []string{"z_custom_a"}, "eth1", "bridge z_custom_a carries the session"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := base
			o.SessionLinks = tc.session
			o.SessionAddr = netip.MustParseAddr("10.0.2.15")
			o.Trunk = hostnet.Link{Name: tc.trunk}
			err := CheckSafety(Desired(spec(), tc.trunk), o)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("CheckSafety: %v, want nil", err)
			case tc.want != "" && (err == nil || !errors.Is(err, ErrUnsafe) || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("CheckSafety: %v, want ErrUnsafe mentioning %q", err, tc.want)
			}
		})
	}
}
