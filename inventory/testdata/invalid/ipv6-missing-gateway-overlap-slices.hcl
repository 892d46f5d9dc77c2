# subnet6 without gateway6; overlapping IPv6 subnets; slices too small
# expect error at 15:15: Missing required argument
# expect error at 23:16: Overlapping subnets
# expect error at 27:16: Slice does not fit the subnet

trunk "kasm" {
  vlans = ["150", "160"]
  nic   = "eth1"
}

vlan "users_a" {
  id        = 150
  subnet    = "192.0.2.0/25"
  gateway   = "192.0.2.1"
  subnet6   = "2001:db8:150::/64"
  network   = "z_vlan150"
  per_agent = 28
}
vlan "users_b" {
  id         = 160
  subnet     = "192.0.2.128/25"
  gateway    = "192.0.2.129"
  subnet6    = "2001:db8:150::/56"
  gateway6   = "2001:db8:150::1"
  network    = "z_vlan160"
  per_agent  = 28
  per_agent6 = 126
}

agent "kasm-agent-1" {
  address = "198.51.100.11"
  slot    = 0
  vlans   = ["users_a"]
}
