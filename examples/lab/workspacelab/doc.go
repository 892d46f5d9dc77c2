// Package workspacelab holds the lab test of Kasm workspaces restricted to
// their networks (seed 003, the UI half): push apply creates an enclave's
// Docker network on the lab's agents and restricts a workspace to it
// through Kasm's API, played by the contract double (kasmdouble) running
// in the test process, never Kasm; check is green; once the only agents
// carrying the network are disabled in the double, check reports it.
package workspacelab
