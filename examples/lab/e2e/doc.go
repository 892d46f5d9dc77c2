// Package e2e checks the lab itself against the real VMs: boot state, SSH
// host keys, Docker, tagged VLAN frames across the trunk bridge, the
// gateway's source-IP endpoint, and vcsim's trunk MACs. Run make lab-up
// first; without a lab these tests skip (fail in CI).
//
// The lab's power controls have no test of their own here, to spare CI
// their boots: labenv.Reboot is proven by the tests that reboot an agent
// and find push's state restored (helpere2e TestSurvivesDockerRestartAndReboot,
// the adoption tests), labenv.Stop and Start by cmd/push
// TestLabStoppedVMAndInterrupt, which stops kasm-agent-3 and starts it again.
package e2e
