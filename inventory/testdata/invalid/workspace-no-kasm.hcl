# a workspace with no kasm block to set it through
# expect error at 24:1: No kasm block
bridge "enclave_2" {
  network = "z_enclave_2"
}

bridge "enclave_3" {
  network = "z_enclave_3"
}

group "enclave_2" {
  agents  = ["kasm-agent-1", "kasm-agent-2"]
  bridges = ["enclave_2"]
}

agent "kasm-agent-1" {
  address = "198.51.100.11"
}

agent "kasm-agent-2" {
  address = "198.51.100.12"
}

workspace "Chrome" {
  networks = ["enclave_2"]
}
