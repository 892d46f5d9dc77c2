# SSH endpoints written every accepted way: an IPv6 address, a host name,
# a jump list with users and ports, and "none" to bypass it.

defaults {
  jump = "admin@bastion-1.example.com:2222, ssh://bastion-2.example.com, [2001:db8::1]:22"
}

bridge "enclave" {
  network = "z_enclave"
}

group "all" {
  agents  = ["kasm-agent-*"]
  bridges = ["enclave"]
}

agent "kasm-agent-1" {
  address = "2001:db8::11"
}

agent "kasm-agent-2" {
  address = "kasm-agent-2.example.com"
  port    = 2222
  jump    = "none"
}
