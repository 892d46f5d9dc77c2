// Package drainlab holds the lab tests of changing a live fleet: a rolling
// change of the ip-range on the three agents with sessions (real
// containers) attached, each agent drained through Kasm's API, changed
// once its sessions are gone and enabled again; a session that never ends
// (the drain times out, the host is left unchanged and enabled); and an
// apply that fails after the drain (the host stays drained until a rerun).
//
// Kasm itself is played by a contract double of its documented API
// (examples/lab/kasmdouble), started in the test process: these tests say
// nothing about Kasm itself.
package drainlab
