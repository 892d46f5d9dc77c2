# Two sites reuse VLAN 150 on one trunk with their own subnets; no agent
# serves both, so no host has two networks on ens160.150.

trunk "kasm" {
  vlans = ["150"]
  nic   = "ens160"
}

vlan "site_a" {
  id        = 150
  subnet    = "192.0.2.0/24"
  gateway   = "192.0.2.1"
  network   = "z_vlan150_a"
  per_agent = 26
}

vlan "site_b" {
  id        = 150
  subnet    = "203.0.113.0/24"
  gateway   = "203.0.113.1"
  network   = "z_vlan150_b"
  per_agent = 26
}

group "site_a" {
  agents = ["site-a-*"]
  vlans  = ["site_a"]
}

group "site_b" {
  agents = ["site-b-*"]
  vlans  = ["site_b"]
}

agent "site-a-1" {
  address = "198.51.100.11"
  slot    = 0
}

agent "site-b-1" {
  address = "198.51.100.21"
  slot    = 0
}
