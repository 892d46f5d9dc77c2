# A bare-metal agent has no VM, so vSphere cannot tell its trunk NIC:
# "auto", its own or its trunk's, is refused; it must name the NIC.
# expect error at 41:16: Trunk NIC cannot be found automatically
# expect error at 48:16: Trunk NIC cannot be found automatically

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
  nic       = "auto"
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

agent "kasm-vm-1" {
  address = "198.51.100.11"
  slot    = 0
}

agent "kasm-metal-1" {
  address    = "198.51.100.21"
  bare_metal = true
  slot       = 1
}

agent "kasm-metal-2" {
  address    = "198.51.100.22"
  bare_metal = true
  trunk_nic  = "auto"
  slot       = 2
}
