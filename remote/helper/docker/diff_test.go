package docker

import (
	"encoding/json"
	"os"
	"reflect"
	"testing"

	"github.com/kasmfleet/push/remote/proto"
)

var vlan150 = proto.VLANNetwork{
	Name: "z_vlan150", Driver: "ipvlan", Mode: "l2", VID: 150,
	Subnet: "192.0.2.0/25", Gateway: "192.0.2.1", IPRange: "192.0.2.16/28", ProbeIP: "192.0.2.30",
}

var customA = proto.BridgeNetwork{Name: "z_custom_a", Bridge: "z_custom_a", Subnet: "172.19.0.0/16", SourceIP: "198.51.100.111"}

func TestNormalize(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   Network
		want Network
	}{
		{
			name: "gateway echoed with a prefix, subnet unmasked, mode in capitals",
			in: Network{Driver: "IPVLAN", Subnet: "192.0.2.5/25", Gateway: "192.0.2.1/25", IPRange: "192.0.2.17/28",
				Options: map[string]string{"ipvlan_mode": "L2", "parent": "eth1.150"}},
			want: Network{Driver: "ipvlan", Subnet: "192.0.2.0/25", Gateway: "192.0.2.1", IPRange: "192.0.2.16/28",
				Options: map[string]string{"ipvlan_mode": "l2", "parent": "eth1.150"}},
		},
		{
			name: "ipvlan without a mode is l2",
			in:   Network{Driver: "ipvlan", Options: map[string]string{"parent": "eth1.150"}},
			want: Network{Driver: "ipvlan", Options: map[string]string{"ipvlan_mode": "l2", "parent": "eth1.150"}},
		},
		{
			name: "macvlan without a mode is bridge",
			in:   Network{Driver: "macvlan", Options: map[string]string{"parent": "eth1.160"}},
			want: Network{Driver: "macvlan", Options: map[string]string{"macvlan_mode": "bridge", "parent": "eth1.160"}},
		},
		{
			name: "bridge masquerades unless told otherwise",
			in:   Network{Driver: "bridge", Options: map[string]string{OptBridgeName: "z_a"}},
			want: Network{Driver: "bridge", Options: map[string]string{OptBridgeName: "z_a", OptMasquerade: "true"}},
		},
		{
			name: "aux addresses lose prefixes, containers sorted",
			in:   Network{Driver: "null", Aux: map[string]string{"push-probe": "192.0.2.30/25"}, Containers: []string{"b", "a"}},
			want: Network{Driver: "null", Options: map[string]string{}, Aux: map[string]string{"push-probe": "192.0.2.30"}, Containers: []string{"a", "b"}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Normalize(tc.in); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Normalize(%+v)\n got %+v\nwant %+v", tc.in, got, tc.want)
			}
		})
	}
}

func TestDiff(t *testing.T) {
	want := FromVLAN(vlan150, "eth1", "kasm-agent-1")
	wantBridge := FromBridge(customA, "kasm-agent-1")
	enclave := FromBridge(proto.BridgeNetwork{Name: "z_enclave_2", Bridge: "z_enclave_2", BridgeDefault: true}, "")
	with := func(n Network, f func(*Network)) Network {
		n.Options = clone(n.Options)
		n.Aux = clone(n.Aux)
		f(&n)
		return n
	}
	for _, tc := range []struct {
		name      string
		want, got Network
		diff      []string
	}{
		{"identical", want, want, nil},
		{"docker echoes differently", want, with(want, func(n *Network) {
			n.Gateway = "192.0.2.1/25"
			n.Subnet = "192.0.2.77/25"
			n.Options["com.docker.network.something"] = "docker's own"
			n.Labels = nil
		}), nil},
		{"ip-range moved", want, with(want, func(n *Network) { n.IPRange = "192.0.2.0/28" }),
			[]string{"ip-range 192.0.2.0/28, want 192.0.2.16/28"}},
		{"ip-range missing", want, with(want, func(n *Network) { n.IPRange = "" }),
			[]string{"ip-range (none), want 192.0.2.16/28"}},
		{"mode and parent", want, with(want, func(n *Network) {
			n.Options["ipvlan_mode"] = "l3"
			n.Options["parent"] = "eth2.150"
		}), []string{"option parent=eth2.150, want eth1.150", "option ipvlan_mode=l3, want l2"}},
		{"driver changes everything", want, with(want, func(n *Network) { n.Driver = "macvlan" }),
			[]string{"driver macvlan, want ipvlan"}},
		// What the spec does not state is no difference: push's own probe
		// reservation, attachable, a bridge name or ip-range Docker chose.
		{"probe address not reserved (hand-made)", want, with(want, func(n *Network) { n.Aux = nil }), nil},
		{"bridge masquerading", wantBridge, with(wantBridge, func(n *Network) { delete(n.Options, OptMasquerade) }),
			[]string{"option com.docker.network.bridge.enable_ip_masquerade=true, want false"}},
		{"bridge not attachable", wantBridge, with(wantBridge, func(n *Network) { n.Attachable = false }), nil},
		{"bridge name stated differs", wantBridge, with(wantBridge, func(n *Network) { delete(n.Options, OptBridgeName) }),
			[]string{"option com.docker.network.bridge.name=(none), want z_custom_a"}},
		{"bridge name not stated: the one Docker chose (seed enclave)", enclave,
			Network{ID: "0123456789abcdef", Name: "z_enclave_2", Driver: "bridge", Subnet: "172.21.0.0/16", Gateway: "172.21.0.1"}, nil},
		{"subnet docker chose is not compared", FromBridge(proto.BridgeNetwork{Name: "e", Bridge: "e"}, ""),
			with(FromBridge(proto.BridgeNetwork{Name: "e", Bridge: "e"}, ""), func(n *Network) { n.Subnet, n.Gateway = "172.18.0.0/16", "172.18.0.1" }), nil},
		{"ip-range docker network has but spec does not", wantBridge, with(wantBridge, func(n *Network) { n.IPRange = "172.19.1.0/24" }), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Diff(tc.want, tc.got); !reflect.DeepEqual(got, tc.diff) {
				t.Errorf("Diff =\n  %q\nwant\n  %q", got, tc.diff)
			}
		})
	}
}

// TestDecodeInspect reads a network as Docker 20.10 answers an inspect
// and checks that it matches what push asked for.
func TestDecodeInspect(t *testing.T) {
	b, err := os.ReadFile("testdata/inspect-ipvlan-20.10.json")
	if err != nil {
		t.Fatal(err)
	}
	var a apiNetwork
	if err := json.Unmarshal(b, &a); err != nil {
		t.Fatal(err)
	}
	n := a.network()
	if d := Diff(FromVLAN(vlan150, "eth1", "kasm-agent-1"), n); d != nil {
		t.Errorf("decoded network differs from the spec: %q", d)
	}
	if !n.Managed() || !reflect.DeepEqual(n.Containers, []string{"kasm_session_1"}) || !reflect.DeepEqual(n.ContainerAddrs, []string{"192.0.2.17"}) {
		t.Errorf("decoded %+v: want managed, container kasm_session_1 at 192.0.2.17", n)
	}
}

func TestSupportsIPVlan(t *testing.T) {
	for v, want := range map[string]bool{
		"20.10.24+dfsg1": true, "19.03.0": true, "19.03.15": true, "18.09.1": false,
		"17.06.0-ce": false, "29.0.1": true, "": false,
	} {
		if got := (Version{Version: v}).SupportsIPVlan(); got != want {
			t.Errorf("SupportsIPVlan(%q) = %v, want %v", v, got, want)
		}
	}
}

func clone(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := map[string]string{}
	for k, v := range m {
		out[k] = v
	}
	return out
}

// A source-NATed bridge that verify probes reserves the top host address
// of its subnet (not its gateway) for the probe; no other bridge does.
func TestBridgeProbe(t *testing.T) {
	snat := proto.BridgeNetwork{Name: "z_custom_a", Bridge: "z_custom_a", Subnet: "172.19.0.0/16",
		SourceIP: "198.51.100.111", VerifyURL: "http://198.51.100.1:8080/"}
	with := func(f func(*proto.BridgeNetwork)) proto.BridgeNetwork { b := snat; f(&b); return b }
	for _, tc := range []struct {
		name string
		b    proto.BridgeNetwork
		want string
	}{
		{"snat and verify", snat, "172.19.255.254"},
		{"subnet not masked", with(func(b *proto.BridgeNetwork) { b.Subnet = "172.19.3.4/24" }), "172.19.3.254"},
		{"gateway on top", with(func(b *proto.BridgeNetwork) { b.Gateway = "172.19.255.254" }), "172.19.255.253"},
		{"smallest", with(func(b *proto.BridgeNetwork) { b.Subnet = "192.0.2.8/30" }), "192.0.2.10"},
		{"too small", with(func(b *proto.BridgeNetwork) { b.Subnet = "192.0.2.8/31" }), ""},
		{"no verify url", with(func(b *proto.BridgeNetwork) { b.VerifyURL = "" }), ""},
		{"no source ip", with(func(b *proto.BridgeNetwork) { b.SourceIP = "" }), ""},
		{"docker's subnet", with(func(b *proto.BridgeNetwork) { b.Subnet = "" }), ""},
	} {
		got := BridgeProbe(tc.b)
		if (got.IsValid() || tc.want != "") && got.String() != tc.want {
			t.Errorf("%s: BridgeProbe = %v, want %q", tc.name, got, tc.want)
		}
		n := FromBridge(tc.b, "kasm-agent-1")
		if aux := n.Aux[ProbeAux]; aux != tc.want || (tc.want == "" && n.Aux != nil) {
			t.Errorf("%s: FromBridge aux %v, want %q", tc.name, n.Aux, tc.want)
		}
	}
}

func TestBridgeName(t *testing.T) {
	for _, tc := range []struct {
		n    Network
		want string
	}{
		{Network{Driver: "bridge", ID: "0123456789abcdef", Options: map[string]string{OptBridgeName: "z_custom_a"}}, "z_custom_a"},
		{Network{Driver: "bridge", ID: "0123456789abcdef"}, "br-0123456789ab"},
		{Network{Driver: "ipvlan", ID: "0123456789abcdef"}, ""},
	} {
		if got := tc.n.BridgeName(); got != tc.want {
			t.Errorf("BridgeName(%+v) = %q, want %q", tc.n, got, tc.want)
		}
	}
}

// In ipvlan l3 modes Docker ignores the gateway: another one is no
// difference; in l2 it is.
func TestDifferencesL3IgnoresGateway(t *testing.T) {
	for mode, want := range map[string]int{"l2": 1, "l3": 0, "l3s": 0} {
		v := vlan150
		v.Mode = mode
		wanted := FromVLAN(v, "eth1", "a")
		got := wanted
		got.Gateway = "192.0.2.2"
		if d := Differences(wanted, got); len(d) != want {
			t.Errorf("mode %s: differences %v, want %d", mode, d, want)
		}
	}
}

// A dual-stack VLAN network: EnableIPv6 and a second pool; a network
// without EnableIPv6, or with another IPv6 pool, differs.
func TestDifferencesIPv6(t *testing.T) {
	v := vlan150
	v.Subnet6, v.Gateway6, v.IPRange6, v.ProbeIP6 = "2001:db8:150::/64", "2001:db8:150::1", "2001:db8:150:0:2000::/67", "2001:db8:150:0:3fff:ffff:ffff:ffff"
	want := FromVLAN(v, "eth1", "a")
	if !want.IPv6 || want.Aux6[ProbeAux] != v.ProbeIP6 || want.Subnet6 != v.Subnet6 {
		t.Fatalf("FromVLAN: %+v", want)
	}
	if d := Differences(want, want); len(d) != 0 {
		t.Fatalf("same network differs: %v", d)
	}
	got := want
	got.IPv6 = false
	got.IPRange6 = "2001:db8:150:0:4000::/67"
	d := Diff(want, got)
	if len(d) != 2 || d[0] != "ipv6 disabled, want enabled" || d[1] != "ip-range6 2001:db8:150:0:4000::/67, want 2001:db8:150:0:2000::/67" {
		t.Errorf("diff %q", d)
	}
	// An IPv4-only spec does not compare a network's IPv6 half.
	if d := Differences(FromVLAN(vlan150, "eth1", "a"), got); len(d) != 0 {
		t.Errorf("IPv4-only spec: %v", d)
	}
}

func TestInspectParsesBothPools(t *testing.T) {
	var a apiNetwork
	doc := `{"Name":"z","Driver":"ipvlan","EnableIPv6":true,"IPAM":{"Config":[
		{"Subnet":"2001:db8:150::/64","Gateway":"2001:db8:150::1","IPRange":"2001:db8:150:0:2000::/67"},
		{"Subnet":"192.0.2.0/25","Gateway":"192.0.2.1","IPRange":"192.0.2.16/28"}]}}`
	if err := json.Unmarshal([]byte(doc), &a); err != nil {
		t.Fatal(err)
	}
	n := a.network()
	if !n.IPv6 || n.Subnet != "192.0.2.0/25" || n.Subnet6 != "2001:db8:150::/64" || n.IPRange6 != "2001:db8:150:0:2000::/67" || n.Gateway6 != "2001:db8:150::1" {
		t.Errorf("parsed %+v", n)
	}
}
