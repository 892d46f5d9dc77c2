package helper

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/kasmfleet/push/remote/proto"
)

// TestSurveyWithoutDocker: push import's survey of a host whose Docker
// does not answer reads the host (its addresses) and says why its networks
// are missing, as a fact; it is not a failure of the helper.
func TestSurveyWithoutDocker(t *testing.T) {
	cfg, _ := trunkHost(t)
	b, _ := json.Marshal(proto.Request{Version: proto.Version, Verb: proto.VerbFacts, Spec: &proto.HostSpec{},
		Options: proto.Options{Survey: true}})
	res, code := runMain(t, cfg, nil, string(b))
	if code != proto.ExitOK || res.Error != "" || res.Facts == nil {
		t.Fatalf("survey without Docker: code %d, error %q, facts %v", code, res.Error, res.Facts != nil)
	}
	if res.Facts.Docker.Unreachable == "" || len(res.Facts.Docker.Networks) != 0 {
		t.Errorf("docker facts %+v, want unreachable with the reason and no networks", res.Facts.Docker)
	}
	if !slices.Contains(res.Facts.Addresses, proto.InterfaceAddr{Interface: "mgmt0", Address: "10.0.2.15/24"}) {
		t.Errorf("addresses %+v lack mgmt0's", res.Facts.Addresses)
	}
}
