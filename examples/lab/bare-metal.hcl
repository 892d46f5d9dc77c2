# The lab's bare-metal agent (make lab-up boots it): give this file after
# inventory.hcl, e.g. push apply inventory.hcl bare-metal.hcl. It is on the
# same trunk as the VMs, but no VM in vCenter, so vSphere leaves it out and
# its trunk NIC is named. Debian 13, Docker 26, NetworkManager; root does
# not log in: admin does, and push runs its helper through sudo.
# inventory.hcl alone stays the three VMs that the tests written for it
# count.

agent "kasm-agent-4" {
  address    = "127.0.0.1"
  port       = 2204
  user       = "admin"
  become     = true
  bare_metal = true
  trunk_nic  = "eth1"
  slot       = 3
  source_ips = { site_a = "198.51.100.114" }
}
