# a drain_timeout that is not a duration
# expect error at 40:19: Invalid drain_timeout
trunk "kasm" {
  vlans = ["150", "160-169"]
  nic   = "ens160"
}

vlan "users_a" {
  id        = 150
  subnet    = "192.0.2.0/24"
  gateway   = "192.0.2.1"
  network   = "z_vlan150"
  per_agent = 26
}

egress "site_a" {
  network = "z_custom_a"
  subnet  = "172.19.0.0/16"
}

group "all" {
  agents = ["kasm-agent-*"]
  vlans  = ["users_a"]
  egress = ["site_a"]
}

agent "kasm-agent-1" {
  address    = "198.51.100.11"
  slot       = 0
  source_ips = { site_a = "198.51.100.111" }
}

agent "kasm-agent-2" {
  address    = "198.51.100.12"
  slot       = 1
  source_ips = { site_a = "198.51.100.112" }
}

rollout {
  drain_timeout = "soon"
}
