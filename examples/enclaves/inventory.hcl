# Seed: "Restricting Workspaces to Docker Networks". Four agents in two
# enclaves; each enclave's agents carry a bridge network of the same name,
# and a Workspace restricted to that network only runs on them.

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
  agents  = ["kasm-agent-3", "kasm-agent-4"]
  bridges = ["enclave_3"]
}

agent "kasm-agent-1" { address = "192.168.10.11" }
agent "kasm-agent-2" { address = "192.168.10.12" }
agent "kasm-agent-3" { address = "192.168.10.13" }
agent "kasm-agent-4" { address = "192.168.10.14" }

# The seed's last step, done in Kasm's UI by hand: Chrome restricted to
# both enclaves' networks, the user choosing at launch. push sets it
# through Kasm's API once the networks are on enabled agents.
kasm {
  url            = "https://kasm.example.com"
  username       = env("KASM_USERNAME", "admin@kasm.local")
  password       = env("KASM_PASSWORD", "")
  api_key        = env("KASM_API_KEY", "")
  api_key_secret = env("KASM_API_KEY_SECRET", "")
}

workspace "Chrome" {
  networks                = ["enclave_2", "enclave_3"]
  allow_network_selection = true
}
