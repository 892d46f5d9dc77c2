# A dual-stack VLAN: an IPv6 subnet beside the IPv4 one (Docker's --ipv6);
# each agent's IPv6 slice comes from its slot, like its IPv4 one.

trunk "kasm" {
  vlans = ["150"]
  nic   = "eth1"
}

vlan "users_a" {
  id        = 150
  subnet    = "192.0.2.0/25"
  gateway   = "192.0.2.1"
  subnet6   = "2001:db8:150::/64"
  gateway6  = "2001:db8:150::1"
  network   = "z_vlan150"
  per_agent = 28
}

group "all" {
  agents = ["kasm-agent-*"]
  vlans  = ["users_a"]
}

agent "kasm-agent-1" {
  address = "198.51.100.11"
  slot    = 0
}

agent "kasm-agent-2" {
  address = "198.51.100.12"
  slot    = 1
}
