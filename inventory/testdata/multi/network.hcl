trunk "kasm" {
  vlans = ["150"]
  nic   = "eth1"
}

vlan "users_a" {
  id        = 150
  subnet    = "192.0.2.0/24"
  gateway   = "192.0.2.1"
  network   = "z_vlan150"
  per_agent = 27
}
