# Seed: "Bridged Network Source NAT". Sessions get NATed addresses in a
# Docker bridge network, and leave the host from one of its own addresses:
# z_custom_a from 192.168.4.153 (a second address on enp0s3) and z_custom_b
# from 192.168.56.103 (enp0s8).

egress "custom_a" {
  network = "z_custom_a"
  subnet  = "172.19.0.0/16"
}

egress "custom_b" {
  network = "z_custom_b"
  subnet  = "172.20.0.0/16"
}

agent "kasm-agent-1" {
  address    = "192.168.4.53"
  egress     = ["custom_a", "custom_b"]
  source_ips = { custom_a = "192.168.4.153", custom_b = "192.168.56.103" }
}
