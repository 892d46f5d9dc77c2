# A bare-metal agent has no VM: bare_metal = true and vm together are refused.
# expect error at 35:16: Bare-metal agent with a VM

vsphere "vc" {
  url        = "https://vcenter.example.com/sdk"
  username   = env("VSPHERE_USERNAME")
  password   = env("VSPHERE_PASSWORD")
  datacenter = "DC1"
}

trunk "kasm" {
  vsphere   = "vc"
  switch    = "DSwitch-Prod"
  portgroup = "kasm-trunk"
  vlans     = ["150"]
  nic       = "ens192"
}

vlan "users_a" {
  id        = 150
  subnet    = "192.0.2.0/24"
  gateway   = "192.0.2.1"
  network   = "z_vlan150"
  per_agent = 26
}

group "all" {
  agents = ["kasm-*"]
  vlans  = ["users_a"]
}

agent "kasm-metal-1" {
  address    = "198.51.100.21"
  bare_metal = true
  vm         = "kasm-metal-1"
  slot       = 0
}
