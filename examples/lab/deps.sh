#!/usr/bin/env bash
# Installs the Debian packages push's lab and tests need, those missing.
#   deps.sh lab    what the lab needs (make demo, make lab-up)
#   deps.sh test   that, and what the rest of the test suite needs (make test, CI)
# As root it installs with apt-get; otherwise it lists what is missing and fails.
set -euo pipefail
declare -A why=(
	[qemu-system-x86]="runs the agent and gateway VMs"
	[qemu-utils]="qemu-img makes the VM disks"
	[mmdebstrap]="builds the VMs' Debian root filesystem"
	[e2fsprogs]="mkfs.ext4 makes the root disk image"
	[cpio]="packs the VMs' initramfs"
	[busybox-static]="the initramfs's shell and tools"
	[kmod]="depmod for the VMs' kernel modules"
	[iproute2]="creates the lab's bridges, taps and test namespaces"
	[openssh-client]="ssh into the VMs"
)
if [[ ${1:-} == test ]]; then
	why+=(
		[openssh-server]="the sshd fleets of the SSH, runner and bench tests"
		[nftables]="SNAT tests in network namespaces"
		[iptables]="SNAT tests in network namespaces"
		[sudo]="become (sudo -n) tests"
		[ansible]="make bench compares push with Ansible"
		[chromium]="the HTML drift report's screenshot test"
		[make]="the test entry point"
		[gcc]="the race detector (go test -race needs cgo)"
		[git]="version stamping"
	)
elif [[ ${1:-} != lab ]]; then
	echo "usage: $0 lab|test" >&2
	exit 2
fi
missing=()
for p in "${!why[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
((${#missing[@]})) || exit 0
echo "deps: Debian packages missing:"
for p in "${missing[@]}"; do echo "  $p: ${why[$p]}"; done
if [[ $(id -u) -ne 0 ]]; then
	echo "deps: run as root to install them (sudo $0 $1)" >&2
	exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
