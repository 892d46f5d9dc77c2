# Written by push import from 4 of 4 agents.

vlan "z_vlan150" {
  id        = 150
  subnet    = "192.0.2.0/24"
  gateway   = "192.0.2.1"
  network   = "z_vlan150"
  driver    = "ipvlan"
  mode      = "l2"
  per_agent = 26
}

vlan "z_vlan151" {
  id        = 151
  subnet    = "203.0.113.0/24"
  gateway   = "203.0.113.254"
  network   = "z_vlan151"
  driver    = "ipvlan"
  mode      = "l2"
  per_agent = 26
}

group "agents" {
  agents = ["a1", "a2"]
  vlans  = ["z_vlan150", "z_vlan151"]
}

agent "a1" {
  address   = "198.51.100.11"
  trunk_nic = "ens160"
  slot      = 0
}

agent "a2" {
  address   = "198.51.100.12"
  trunk_nic = "ens160"
  slot      = 1
  ip_ranges = {
    z_vlan151 = "203.0.113.128/26"
  }
}

agent "a3" {
  address   = "198.51.100.13"
  trunk_nic = "ens160"
  vlans     = ["z_vlan150"]
  ip_ranges = {
    z_vlan150 = "192.0.2.224/27"
  }
}

agent "a4" {
  address   = "198.51.100.14"
  port      = 2222
  trunk_nic = "ens160"
  slot      = 1
  vlans     = ["z_vlan151"]
}
