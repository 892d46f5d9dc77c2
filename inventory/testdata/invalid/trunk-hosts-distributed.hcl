# hosts are for standard vSwitches; a distributed switch's hosts are its members
# expect error at 8:15: Hosts on a distributed switch

trunk "kasm" {
  vsphere   = "vc"
  switch    = "DSwitch-Prod"
  portgroup = "kasm-trunk"
  hosts     = ["esxi-1.example.com"]
  vlans     = ["150"]
  nic       = "ens160"
}

vlan "users_a" {
  id        = 150
  subnet    = "192.0.2.0/24"
  gateway   = "192.0.2.1"
  network   = "z_vlan150"
  per_agent = 26
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

vsphere "vc" {
  url = "https://vcenter.example.com/sdk"
}
