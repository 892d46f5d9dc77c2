# The push lab (make lab-up): three Kasm agents under qemu, a gateway that
# answers "what is my source IP" on :8080, and vcsim as vCenter.
# Relative paths are resolved against this file's folder.

defaults {
  user          = "root"
  known_hosts   = "state/known_hosts"
  identity_file = "state/id_ed25519"
}

vsphere "lab" {
  url        = "https://127.0.0.1:8989/sdk"
  username   = "lab"
  password   = file("state/vsphere-password", "") # written by make lab-up
  datacenter = "Lab"
  ca_file    = "state/vcsim-ca.pem"
}

trunk "kasm" {
  vsphere   = "lab"
  switch    = "DSwitch-Lab"
  portgroup = "kasm-trunk"
  vlans     = ["150", "160-169"]
  nic       = "eth1"
}

vlan "users_a" {
  id         = 150
  subnet     = "192.0.2.0/25"
  gateway    = "192.0.2.1"
  network    = "z_vlan150"
  driver     = "ipvlan"
  mode       = "l2"
  per_agent  = 28
  verify_url = "http://192.0.2.1:8080/"
}

vlan "users_b" {
  id         = 160
  subnet     = "192.0.2.128/25"
  gateway    = "192.0.2.129"
  network    = "z_vlan160"
  driver     = "macvlan"
  mode       = "bridge"
  per_agent  = 28
  verify_url = "http://192.0.2.129:8080/"
}

egress "site_a" {
  network    = "z_custom_a"
  subnet     = "172.19.0.0/16"
  verify_url = "http://198.51.100.1:8080/"
}

bridge "enclave_2" {
  network = "z_enclave_2"
  subnet  = "172.30.0.0/16"
}

group "all" {
  agents = ["kasm-agent-*"]
  vlans  = ["users_a", "users_b"]
  egress = ["site_a"]
}

group "enclave_2" {
  agents  = ["kasm-agent-1", "kasm-agent-2"]
  bridges = ["enclave_2"]
}

agent "kasm-agent-1" {
  address    = "127.0.0.1"
  port       = 2201
  vm         = "kasm-agent-1"
  slot       = 0
  source_ips = { site_a = "198.51.100.111" }
}

agent "kasm-agent-2" {
  address    = "127.0.0.1"
  port       = 2202
  vm         = "kasm-agent-2"
  slot       = 1
  source_ips = { site_a = "198.51.100.112" }
}

agent "kasm-agent-3" {
  address    = "127.0.0.1"
  port       = 2203
  vm         = "kasm-agent-3"
  slot       = 2
  trunk_nic  = "auto"
  source_ips = { site_a = "198.51.100.113" }
}

rollout {
  batch        = ["1", "50%"]
  max_failures = 0
  pause        = "0s"
}
