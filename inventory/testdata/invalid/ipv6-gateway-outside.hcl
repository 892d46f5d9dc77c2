# an IPv6 gateway outside subnet6, and a v4 address as gateway6
# expect error at 15:15: Gateway outside its subnet
# expect error at 24:15: Invalid IP address

trunk "kasm" {
  vlans = ["150", "160"]
  nic   = "eth1"
}

vlan "users_a" {
  id        = 150
  subnet    = "192.0.2.0/25"
  gateway   = "192.0.2.1"
  subnet6   = "2001:db8:150::/64"
  gateway6  = "2001:db8:151::1"
  network   = "z_vlan150"
  per_agent = 28
}
vlan "users_b" {
  id        = 160
  subnet    = "192.0.2.128/25"
  gateway   = "192.0.2.129"
  subnet6   = "2001:db8:160::/64"
  gateway6  = "192.0.2.129"
  network   = "z_vlan160"
  per_agent = 28
}

agent "kasm-agent-1" {
  address = "198.51.100.11"
  slot    = 0
  vlans   = ["users_a"]
}
