# Written by push import from 4 of 4 agents.

# push import: agent a3's ip-range 192.0.2.128/27 overlaps 192.0.2.128/26 of agent a2; a3 is left out
vlan "z_vlan150" {
  id        = 150
  subnet    = "192.0.2.0/24"
  gateway   = "192.0.2.1"
  network   = "z_vlan150"
  driver    = "ipvlan"
  mode      = "l2"
  per_agent = 26
}

group "agents" {
  agents = ["a1", "a2"]
  vlans  = ["z_vlan150"]
}

# push import: SNAT rule for 172.19.0.0/16 to 198.51.100.111 has no Docker network with that subnet; left out
agent "a1" {
  address   = "198.51.100.11"
  trunk_nic = "ens160"
  slot      = 0
}

agent "a2" {
  address   = "198.51.100.12"
  trunk_nic = "ens160"
  slot      = 1
}

# push import: ip-range 192.0.2.128/27 of network z_vlan150 overlaps 192.0.2.128/26 of agent a2; left out here: give one of them another range
agent "a3" {
  address = "198.51.100.13"
}

# push import: network z_vlan150 here (ipvlan l2 on VLAN 150, subnet 203.0.113.0/24, gateway 203.0.113.1) is not in this inventory: z_vlan150 on 3 other agent(s) has ipvlan l2 on VLAN 150, subnet 192.0.2.0/24, gateway 192.0.2.1; decide which one the fleet keeps
agent "a4" {
  address = "198.51.100.14"
}
