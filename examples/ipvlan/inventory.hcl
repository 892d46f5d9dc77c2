# Seed: "IPVLAN Networking". Kasm agents are vSphere VMs with two NICs:
# ens192 for management and ens160 on a trunk port group. Each group of
# users gets a VLAN; each agent hands out addresses from its own /25 of the
# VLAN's /22 (the seed's advice for growth), so agents never collide.

defaults {
  user   = "admin"
  become = true # admin runs the helper through sudo -n
}

vsphere "vc" {
  url        = "https://vcenter.example.com/sdk"
  username   = env("VSPHERE_USERNAME", "administrator@vsphere.local")
  password   = env("VSPHERE_PASSWORD", "")
  datacenter = "DC1"
}

trunk "kasm" {
  vsphere   = "vc"
  switch    = "DSwitch-Prod"
  portgroup = "kasm-trunk"
  vlans     = ["150", "160-169"]
  nic       = "ens160"
}

vlan "users_150" {
  id        = 150
  subnet    = "192.168.148.0/22"
  gateway   = "192.168.148.1"
  network   = "vlan150" # the seed's name
  driver    = "ipvlan"
  mode      = "l2"
  per_agent = 25
}

vlan "users_160" {
  id        = 160
  subnet    = "192.168.160.0/22"
  gateway   = "192.168.160.1"
  network   = "vlan160"
  per_agent = 25
}

group "agents" {
  agents = ["kasm-agent-*"]
  vlans  = ["users_150", "users_160"]
}

agent "kasm-agent-1" {
  address = "192.168.10.11"
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

agent "kasm-agent-4" {
  address = "192.168.10.14"
  slot    = 3
}

rollout {
  batch        = ["1", "25%"]
  max_failures = 0
  pause        = "30s"
}
