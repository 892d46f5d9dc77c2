# A mixed fleet: two VMs and a bare-metal server on one vSphere trunk. The
# server has no VM (bare_metal = true), so vSphere is skipped for it and
# its trunk NIC is named; the VMs' NICs are found by MAC.
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

agent "kasm-vm-2" {
  address = "198.51.100.12"
  vm      = "kasm-vm-2.prod"
  slot    = 1
}

agent "kasm-metal-1" {
  address    = "198.51.100.21"
  bare_metal = true
  trunk_nic  = "eno2"
  slot       = 2
}
