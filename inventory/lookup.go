package inventory

func named[T interface{ name() string }](list []T, name string) T {
	var zero T
	for _, x := range list {
		if x.name() == name {
			return x
		}
	}
	return zero
}

func (b *Block) name() string { return b.Name }

func (v *validator) vsphere(name string) *VSphere    { return named(v.inv.VSpheres, name) }
func (v *validator) trunkNamed(name string) *Trunk   { return named(v.inv.Trunks, name) }
func (v *validator) vlanNamed(name string) *VLAN     { return named(v.inv.VLANs, name) }
func (v *validator) egressNamed(name string) *Egress { return named(v.inv.Egress, name) }
func (v *validator) bridgeNamed(name string) *Bridge { return named(v.inv.Bridges, name) }

// VSphere returns the vsphere block named name, or nil.
func (inv *Inventory) VSphere(name string) *VSphere { return named(inv.VSpheres, name) }

// Group returns the group named name, or nil.
func (inv *Inventory) Group(name string) *Group { return named(inv.Groups, name) }

// Agent returns the agent named name, or nil.
func (inv *Inventory) Agent(name string) *Agent { return named(inv.Agents, name) }
