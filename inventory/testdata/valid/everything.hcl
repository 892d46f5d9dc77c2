# Every block and attribute of the language, used together.

defaults {
  user          = "kasm"
  port          = 22
  identity_file = "keys/id_ed25519"
  known_hosts   = "known_hosts"
  become        = true
  jump          = "admin@bastion.example.com:22"
}

vsphere "vc" {
  url        = "https://vcenter.example.com/sdk"
  username   = env("VSPHERE_USERNAME")
  password   = env("VSPHERE_PASSWORD")
  datacenter = "DC1"
  ca_file    = "vcenter-ca.pem"
}

trunk "kasm" {
  vsphere   = "vc"
  switch    = "DSwitch-Prod"
  portgroup = "kasm-trunk"
  vlans     = ["150", 160, "170-179"]
  nic       = "auto"
}

vlan "users_a" {
  id         = 150
  subnet     = "192.0.2.0/25"
  gateway    = "192.0.2.1"
  network    = "z_vlan150"
  driver     = "ipvlan"
  mode       = "l3s"
  per_agent  = 28
  verify_url = "http://192.0.2.1:8080/"
}

vlan "users_b" {
  trunk     = "kasm"
  id        = 175
  subnet    = "192.0.2.128/25"
  gateway   = "192.0.2.254"
  network   = "z_vlan175"
  driver    = "macvlan"
  mode      = "private"
  per_agent = 27
}

egress "site_a" {
  network     = "z_custom_a"
  bridge      = "br-site-a"
  subnet      = "172.19.0.0/16"
  source_ip   = "198.51.100.100/24"
  add_address = true
  verify_url  = "http://198.51.100.1:8080/"
}

bridge "enclave_2" {
  network = "z_enclave_2"
  subnet  = "172.30.0.0/16"
}

group "vlans" {
  agents = ["kasm-agent-?"]
  vlans  = ["users_a", "users_b"]
}

group "enclave_2" {
  agents  = ["kasm-agent-1"]
  bridges = ["enclave_2"]
  egress  = ["site_a"]
}

agent "kasm-agent-1" {
  address = "kasm-agent-1.example.com"
  slot    = 0
}

agent "kasm-agent-2" {
  address    = "kasm-agent-2.example.com"
  user       = "root"
  become     = false
  port       = 2222
  vm         = "/DC1/vm/kasm/kasm-agent-2"
  trunk_nic  = "ens224"
  ip_ranges  = { users_a = "192.0.2.96/27", users_b = "192.0.2.192/27" }
  egress     = ["site_a"]
  source_ips = { site_a = "198.51.100.101/24" }
}

rollout {
  batch        = ["1", "5", "25%"]
  max_failures = "10%"
  pause        = "1m30s"
}
