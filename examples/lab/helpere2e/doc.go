// Package e2e runs push-helper on the lab's agent VMs (examples/lab):
// real kernels with 802.1Q and ipvlan, real Docker, real nftables, and a
// gateway that answers with the caller's source address. Without a
// running lab (make lab-up) the tests skip, and fail in CI.
package e2e
