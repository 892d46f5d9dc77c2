# switch_type and hosts need a vsphere
# expect error at 6:17: Argument needs a vsphere
# expect error at 7:17: Argument needs a vsphere

trunk "kasm" {
  switch_type = "standard"
  hosts       = ["esxi-1.example.com"]
  vlans       = ["150"]
  nic         = "ens160"
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
