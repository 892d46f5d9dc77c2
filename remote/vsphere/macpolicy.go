package vsphere

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/kasmfleet/push/remote/proto"
	"github.com/vmware/govmomi/vim25/types"
)

// A macvlan container sends and receives frames with its own MAC address,
// not the VM NIC's. vSphere drops them unless the port group lets other
// MACs through (docker docs#15855). Two ways, chosen per switch:
//
//   - MAC learning (distributed switch 6.6.0 or later, vSphere 6.7+): the
//     switch learns the containers' MACs from the frames the VM sends and
//     delivers frames for them to that VM's port only. Forged transmits
//     must be accepted (the source MAC is not the NIC's) and unknown
//     unicast flooded (a MAC not yet learned, or aged out, still arrives).
//     Promiscuous mode stays as it is: it is not needed.
//   - The security policy (older distributed switches, standard vSwitches):
//     promiscuous mode, MAC changes and forged transmits accepted. Every VM
//     on the port group then receives every frame of the trunk's VLANs,
//     which costs CPU on all of them; it is what Docker's documentation
//     asks for, and the only way a standard vSwitch has.
//
// On a switch with MAC learning, a port group already set the second way
// counts as in sync: it passes the frames, and push does not undo an
// admin's choice that works.

// MACPolicy is how a port group treats frames of MACs other than the VM
// NIC's, as read (vSphere's effective values).
type MACPolicy struct {
	Learning        bool   `json:"learning,omitempty"`
	UnicastFlooding bool   `json:"unicast_flooding,omitempty"`
	Limit           int32  `json:"limit,omitempty"`
	LimitPolicy     string `json:"limit_policy,omitempty"`
	Promiscuous     bool   `json:"promiscuous,omitempty"`
	MACChanges      bool   `json:"mac_changes,omitempty"`
	ForgedTransmits bool   `json:"forged_transmits,omitempty"`
}

// macNeed is what a trunk's port group must allow for its macvlan networks.
type macNeed int

const (
	macNone     macNeed = iota // no macvlan network on the trunk
	macLearning                // MAC learning, unknown unicast flooding, forged transmits
	macSecurity                // promiscuous mode, MAC changes, forged transmits
)

// Defaults push sets when it turns MAC learning on (vSphere's own).
const (
	macLearnLimit       = 4096
	macLearnLimitPolicy = string(types.DVSMacLimitPolicyTypeDrop)
)

// learningSince is the first distributed switch version with MAC learning.
var learningSince = [3]int{6, 6, 0}

// wantMAC is what the port group needs: nothing without a macvlan network;
// on a distributed switch that has MAC learning, learning; else the
// security policy.
func wantMAC(spec proto.VSphereSpec, sw Switch) macNeed {
	switch {
	case len(spec.Macvlan) == 0:
		return macNone
	case !spec.IsStandard() && hasLearning(sw.Version):
		return macLearning
	}
	return macSecurity
}

// hasLearning reports whether a distributed switch of version v
// ("7.0.3") has MAC learning. An unknown version has not.
func hasLearning(v string) bool {
	parts := strings.SplitN(v, ".", 4)
	if len(parts) < 2 {
		return false
	}
	for i := range learningSince {
		n := 0
		if i < len(parts) {
			var err error
			if n, err = strconv.Atoi(parts[i]); err != nil {
				return false
			}
		}
		if n != learningSince[i] {
			return n > learningSince[i]
		}
	}
	return true
}

// allows reports whether p passes macvlan frames as n requires.
func (n macNeed) allows(p MACPolicy) bool {
	security := p.Promiscuous && p.MACChanges && p.ForgedTransmits
	switch n {
	case macLearning:
		return (p.Learning && p.UnicastFlooding && p.ForgedTransmits) || security
	case macSecurity:
		return security
	}
	return true
}

// String is what n asks for, in words.
func (n macNeed) String() string {
	switch n {
	case macLearning:
		return "MAC learning with unknown unicast flooding, forged transmits accepted (macvlan)"
	case macSecurity:
		return "promiscuous mode, MAC changes and forged transmits accepted (macvlan)"
	}
	return "no MAC policy"
}

// describe is p in the terms n asks about.
func (n macNeed) describe(p MACPolicy) string {
	if n == macLearning {
		learn := "MAC learning off"
		if p.Learning {
			learn = "MAC learning on"
			if !p.UnicastFlooding {
				learn += " without unknown unicast flooding"
			}
		}
		return learn + ", forged transmits " + acceptWord(p.ForgedTransmits)
	}
	return fmt.Sprintf("promiscuous mode %s, MAC changes %s, forged transmits %s",
		acceptWord(p.Promiscuous), acceptWord(p.MACChanges), acceptWord(p.ForgedTransmits))
}

func acceptWord(b bool) string {
	if b {
		return "accepted"
	}
	return "rejected"
}

// macPolicyOf reads a distributed port group's effective MAC policy: the
// MAC management policy where the switch has one (6.6.0+, where vCenter
// keeps the older security policy in step with it), else the security
// policy.
func macPolicyOf(s *types.VMwareDVSPortSetting) MACPolicy {
	var p MACPolicy
	if s == nil {
		return p
	}
	if m := s.MacManagementPolicy; m != nil {
		p.Promiscuous, p.MACChanges, p.ForgedTransmits = isTrue(m.AllowPromiscuous), isTrue(m.MacChanges), isTrue(m.ForgedTransmits)
		if l := m.MacLearningPolicy; l != nil {
			p.Learning, p.UnicastFlooding, p.LimitPolicy = l.Enabled, isTrue(l.AllowUnicastFlooding), l.LimitPolicy
			if l.Limit != nil {
				p.Limit = *l.Limit
			}
		}
		return p
	}
	if sp := s.SecurityPolicy; sp != nil {
		p.Promiscuous, p.MACChanges, p.ForgedTransmits = boolPolicy(sp.AllowPromiscuous), boolPolicy(sp.MacChanges), boolPolicy(sp.ForgedTransmits)
	}
	return p
}

// hostMACPolicy reads a standard port group's security policy: vSphere's
// computed one (the port group's own settings over its vSwitch's), else
// the port group's own.
func hostMACPolicy(pg types.HostPortGroup) MACPolicy {
	sec := pg.ComputedPolicy.Security
	if sec == nil {
		sec = pg.Spec.Policy.Security
	}
	if sec == nil {
		return MACPolicy{}
	}
	return MACPolicy{Promiscuous: isTrue(sec.AllowPromiscuous), MACChanges: isTrue(sec.MacChanges), ForgedTransmits: isTrue(sec.ForgedTransmits)}
}

// setMAC puts what n needs into a distributed port group's setting,
// keeping from cur (the observed policy) what n does not decide. vCenter
// merges a reconfigure's unset fields; vcsim replaces the setting, so the
// kept values are sent too.
func setMAC(s *types.VMwareDVSPortSetting, n macNeed, cur MACPolicy) {
	switch n {
	case macLearning:
		limit, policy := int32(macLearnLimit), macLearnLimitPolicy
		if cur.Learning && cur.Limit > 0 {
			limit, policy = cur.Limit, cur.LimitPolicy
		}
		s.MacManagementPolicy = &types.DVSMacManagementPolicy{
			AllowPromiscuous: types.NewBool(cur.Promiscuous),
			MacChanges:       types.NewBool(cur.MACChanges),
			ForgedTransmits:  types.NewBool(true),
			MacLearningPolicy: &types.DVSMacLearningPolicy{
				Enabled: true, AllowUnicastFlooding: types.NewBool(true), Limit: &limit, LimitPolicy: policy,
			},
		}
	case macSecurity:
		accept := func() *types.BoolPolicy { return &types.BoolPolicy{Value: types.NewBool(true)} }
		s.SecurityPolicy = &types.DVSSecurityPolicy{AllowPromiscuous: accept(), MacChanges: accept(), ForgedTransmits: accept()}
	}
}

// hostSecurity is a standard port group's security policy for macvlan.
func hostSecurity() *types.HostNetworkSecurityPolicy {
	return &types.HostNetworkSecurityPolicy{
		AllowPromiscuous: types.NewBool(true), MacChanges: types.NewBool(true), ForgedTransmits: types.NewBool(true),
	}
}

func isTrue(b *bool) bool { return b != nil && *b }

func boolPolicy(p *types.BoolPolicy) bool { return p != nil && isTrue(p.Value) }
