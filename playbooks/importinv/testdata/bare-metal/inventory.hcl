# Written by push import from 4 of 4 agents.

defaults {
  user = "admin"
  port = 22
}

vsphere "vc" {
  url        = "https://vcenter.example.com/sdk"
  username   = env("VSPHERE_USERNAME", "")
  password   = env("VSPHERE_PASSWORD", "")
  datacenter = "DC1"
}

trunk "kasm-trunk" {
  vsphere   = "vc"
  switch    = "DSwitch-Prod"
  portgroup = "kasm-trunk"
  vlans     = ["150", "160-169"]
  nic       = "ens160"
}

vlan "vlan150" {
  id        = 150
  subnet    = "192.168.148.0/22"
  gateway   = "192.168.148.1"
  network   = "vlan150"
  driver    = "ipvlan"
  mode      = "l2"
  per_agent = 25
}

vlan "vlan160" {
  id        = 160
  subnet    = "192.168.160.0/22"
  gateway   = "192.168.160.1"
  network   = "vlan160"
  driver    = "ipvlan"
  mode      = "l2"
  per_agent = 25
}

group "agents" {
  agents = ["kasm-agent-1", "kasm-agent-2", "kasm-agent-3", "kasm-agent-4"]
  vlans  = ["vlan150", "vlan160"]
}

agent "kasm-agent-1" {
  address = "192.168.10.11"
  vm      = "/DC1/vm/kasm/agent-vm-a"
  slot    = 0
}

agent "kasm-agent-2" {
  address = "192.168.10.12"
  slot    = 1
}

agent "kasm-agent-3" {
  address = "192.168.10.13"
  slot    = 2
}

# push import: no VM in vCenter has this agent's trunk MAC address or its name: written as bare_metal (vSphere leaves it out); if it is a VM, write its vm instead
agent "kasm-agent-4" {
  address    = "192.168.10.14"
  bare_metal = true
  slot       = 3
}
