# macvlan on a standard vSwitch trunk: push sets promiscuous mode, a warning
# expect warning at 19:15: macvlan on a standard vSwitch floods every agent

trunk "kasm" {
  vsphere     = "vc"
  switch_type = "standard"
  switch      = "vSwitch0"
  hosts       = ["esxi-1.example.com", "esxi-2.example.com"]
  portgroup   = "kasm-trunk"
  vlans       = ["150", "160-169"]
  nic         = "auto"
}

vlan "users_a" {
  id        = 150
  subnet    = "192.0.2.0/24"
  gateway   = "192.0.2.1"
  network   = "z_vlan150"
  driver    = "macvlan"
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
