# Written by push import from 3 of 4 agents.
# push import: m4 (198.51.100.24) was not read: dial tcp 198.51.100.24:22: connect: connection refused

vlan "z_ipv" {
  id        = 150
  subnet    = "192.0.2.0/25"
  gateway   = "192.0.2.1"
  network   = "z_ipv"
  driver    = "ipvlan"
  mode      = "l3"
  per_agent = 27
}

vlan "z_mac" {
  id        = 175
  subnet    = "192.0.2.128/25"
  gateway   = "192.0.2.254"
  network   = "z_mac"
  driver    = "macvlan"
  mode      = "bridge"
  per_agent = 27
}

egress "z_custom_a" {
  network   = "z_custom_a"
  bridge    = "br-site-a"
  subnet    = "172.19.0.0/16"
  source_ip = "198.51.100.100"
}

# push import: its subnet 172.30.0.0/16 overlaps 172.30.0.0/16 of network z_plain; left to Docker
bridge "z_other" {
  network = "z_other"
}

bridge "z_plain" {
  network = "z_plain"
  subnet  = "172.30.0.0/16"
}

group "agents" {
  agents  = ["m1", "m2"]
  vlans   = ["z_ipv", "z_mac"]
  egress  = ["z_custom_a"]
  bridges = ["z_plain"]
}

agent "m1" {
  address   = "198.51.100.21"
  trunk_nic = "ens160"
  slot      = 0
}

# push import: network z_nosnat masquerades nothing and no SNAT rule covers its subnet 172.21.0.0/16; left out
agent "m2" {
  address   = "198.51.100.22"
  trunk_nic = "ens160"
  slot      = 1
  source_ips = {
    z_custom_a = "198.51.100.101"
  }
}

agent "m3" {
  address   = "198.51.100.23"
  trunk_nic = "ens160"
  slot      = 2
  vlans     = ["z_ipv"]
  egress    = ["z_custom_a"]
  bridges   = ["z_other"]
}
