group "all" {
  agents = ["*"]
  vlans  = ["users_a"]
}

agent "kasm-agent-1" {
  address = "198.51.100.11"
  slot    = 0
}

agent "kasm-agent-2" {
  address = "198.51.100.12"
  slot    = 1
}
