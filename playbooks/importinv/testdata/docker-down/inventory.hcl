# Written by push import from 3 of 3 agents.

defaults {
  user = "admin"
  port = 22
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
  agents = ["kasm-agent-1", "kasm-agent-3"]
  vlans  = ["vlan150", "vlan160"]
}

agent "kasm-agent-1" {
  address   = "192.168.10.11"
  trunk_nic = "ens160"
  slot      = 0
}

# push import: Docker did not answer: Get "http://docker/v1.41/version": dial unix /var/run/docker.sock: connect: no such file or directory; its networks were not read, so it serves nothing here: import it again once Docker answers
agent "kasm-agent-2" {
  address = "192.168.10.12"
}

agent "kasm-agent-3" {
  address   = "192.168.10.13"
  trunk_nic = "ens160"
  slot      = 2
}
