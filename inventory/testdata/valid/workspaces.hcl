# the enclave seed's workspaces: Chrome restricted to enclave 2's network,
# Firefox to either enclave's, the user choosing
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

group "enclave_3" {
  agents  = ["kasm-agent-3"]
  bridges = ["enclave_3"]
}

agent "kasm-agent-1" {
  address = "198.51.100.11"
}

agent "kasm-agent-2" {
  address = "198.51.100.12"
}

agent "kasm-agent-3" {
  address = "198.51.100.13"
}

kasm {
  url            = "https://kasm.example.com"
  username       = env("VSPHERE_USERNAME")
  password       = env("VSPHERE_PASSWORD")
  api_key        = env("VSPHERE_USERNAME")
  api_key_secret = env("VSPHERE_PASSWORD")
}

workspace "Chrome - Enclave 2" {
  networks = ["enclave_2"]
}

workspace "Firefox" {
  networks                = ["enclave_2", "enclave_3"]
  allow_network_selection = true
}
