# Written by push import from 4 of 4 agents.

bridge "z_enclave_2" {
  network = "z_enclave_2"
  subnet  = "172.18.0.0/16"
}

# push import: its subnet differs between agents (Docker chose it on each host); left to Docker
bridge "z_enclave_3" {
  network = "z_enclave_3"
}

group "enclave_2" {
  agents  = ["kasm-agent-1", "kasm-agent-2"]
  bridges = ["z_enclave_2"]
}

group "enclave_3" {
  agents  = ["kasm-agent-3", "kasm-agent-4"]
  bridges = ["z_enclave_3"]
}

agent "kasm-agent-1" {
  address = "192.168.10.11"
}

agent "kasm-agent-2" {
  address = "192.168.10.12"
}

agent "kasm-agent-3" {
  address = "192.168.10.13"
}

agent "kasm-agent-4" {
  address = "192.168.10.14"
}
