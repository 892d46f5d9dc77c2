# a workspace names a network block that does not exist (a Docker network name)
# expect error at 33:28: Reference to undefined network
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
  url            = "https://kasm.example.com"
  username       = "admin@kasm.local"
  password       = "secret"
  api_key        = "key"
  api_key_secret = "key-secret"
}

workspace "Chrome" {
  networks = ["enclave_2", "z_enclave_3"]
}
