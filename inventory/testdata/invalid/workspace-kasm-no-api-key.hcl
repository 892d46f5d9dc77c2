# workspaces need the developer API key of the kasm block
# expect error at 25:1: Missing api_key
# expect error at 25:1: Missing api_key_secret
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

kasm {
  url      = "https://kasm.example.com"
  username = "admin@kasm.local"
  password = "secret"
}

workspace "Chrome" {
  networks = ["enclave_2"]
}
