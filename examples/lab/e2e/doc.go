// Package e2e checks the lab itself against the real VMs: boot state, SSH
// host keys, Docker, tagged VLAN frames across the trunk bridge, the
// gateway's source-IP endpoint, and vcsim's trunk MACs. Run make lab-up
// first; without a lab these tests skip (fail in CI).
package e2e
