package inventory

// macvlanTrunk warns about a macvlan VLAN on a trunk of standard
// vSwitches: push sets the port group's security policy (promiscuous
// mode, MAC changes, forged transmits accepted), the only way a standard
// vSwitch passes the containers' MAC addresses, and promiscuous mode
// gives every agent VM on the port group every frame of the trunk.
func (v *validator) macvlanTrunk(vl *VLAN) {
	if vl.Driver != "macvlan" || vl.Trunk == "" {
		return
	}
	t := v.trunkNamed(vl.Trunk)
	if t == nil || t.VSphere == "" || t.SwitchType != SwitchStandard {
		return
	}
	v.warnf(vl.Range("driver"), "macvlan on a standard vSwitch floods every agent",
		"Trunk %q is on standard vSwitches, which cannot learn MAC addresses: push accepts promiscuous mode, MAC changes and forged transmits on port group %q so that the containers' frames pass, and then every agent VM on it receives every frame of the trunk's VLANs. A distributed switch (6.6.0 or later) learns the containers' MACs instead; ipvlan needs neither.",
		t.Name, t.PortGroup)
}
