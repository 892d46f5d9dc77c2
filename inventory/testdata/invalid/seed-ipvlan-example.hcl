# the ipvlan seed's own command: ip-range outside the subnet and ipvlan_mode=12
# expect error at 15:15: Unknown ipvlan mode
# expect error at 32:28: ip-range outside its subnet

trunk "kasm" {
  vlans = ["150", "160-169"]
  nic   = "ens160"
}

vlan "users_a" {
  id        = 150
  subnet    = "192.168.150.0/26"
  gateway   = "192.168.150.1"
  network   = "z_vlan150"
  mode      = "12"
  per_agent = 28
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
  ip_ranges  = { users_a = "192.168.75.16/28" }
  source_ips = { site_a = "198.51.100.111" }
}

agent "kasm-agent-2" {
  address    = "198.51.100.12"
  slot       = 1
  source_ips = { site_a = "198.51.100.112" }
}
