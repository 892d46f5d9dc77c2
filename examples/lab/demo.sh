#!/usr/bin/env bash
# The push demo on a fresh Debian 12 machine, as root (make demo): installs
# the lab's packages if missing, brings the lab up, runs push against it,
# verifies each network end to end, and says how to look around.
set -euo pipefail
lab=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$lab/../.." && pwd)
push=$repo/bin/push
inv=$lab/inventory.hcl
state=$lab/state
say() { printf '\n\033[1mdemo: %s\033[0m\n' "$*"; }
[[ -n ${NO_COLOR:-} || ! -t 1 ]] && say() { printf '\ndemo: %s\n' "$*"; }

if [[ $(id -u) -ne 0 ]]; then
	echo "demo: must run as root (the lab creates bridges and taps and runs qemu)" >&2
	exit 1
fi

"$lab/deps.sh" lab # the Debian packages the lab needs, installed when missing

# push is built first (make demo depends on make build): beside the
# compiler, the image's root filesystem (then made by debootstrap) took
# twice as long, even with the compile at the lowest priority
# (docs/benchmarks.md, make demo on a fresh machine).
say "bringing the lab up (first run builds the VM image: a few minutes)"
"$lab/lab.sh" up demo # the gateway and kasm-agent-1..3; a full lab already up is used

ssh_cmd() { echo "ssh -i $state/id_ed25519 -o UserKnownHostsFile=$state/known_hosts -p $1 root@127.0.0.1"; }
vm_ssh() { local port=$1; shift; $(ssh_cmd "$port") -o BatchMode=yes "$@"; }

# Tests take this lock while they use the lab; so does the demo.
exec 9>"$state/lab.lock"
if ! flock -n 9; then
	echo "demo: waiting for tests using the lab to finish ($state/lab.lock)"
	flock 9
fi

say "push apply $inv"
"$push" apply "$inv"

say "verifying each network end to end from every agent"
# The gateway answers http://ADDR:8080/ with the source address it saw.
# From a probe container on each network, that must be the agent's slice
# address (VLANs) or the agent's egress source IP (site_a).
verify_fail=0
# slot = n-1; /28 slices, skipping the slice holding the gateway.
# One probe container per agent, on the three networks: created on
# z_custom_a, whose bridge then carries its default route (Docker picks
# the gateway network by name), connected to the two VLAN networks, whose
# gateways are on-link; one container start instead of three (each takes
# 10-15 s under emulation). It prints "URL ANSWER" per network; the
# three agents probe at once.
probe_script='
c=$(docker create --network z_custom_a "$1" sh -c "for u in $2; do echo \$u \$(timeout 10 wget -q -O - \$u); done") || exit 1
docker network connect z_vlan150 "$c" && docker network connect z_vlan160 "$c" && docker start -a "$c"
docker rm -f "$c" >/dev/null'
urls="http://192.0.2.1:8080/ http://192.0.2.129:8080/ http://198.51.100.1:8080/"
verify_agent() {
	local n=$1 port=$((2200 + $1)) probe answers net url lo got ok want last
	probe=$(vm_ssh "$port" lab-probe-image)
	answers=$(vm_ssh "$port" sh -s -- "$probe" "'$urls'" <<<"$probe_script" 2>&1) || true
	for net in z_vlan150 z_vlan160 z_custom_a; do
		case $net in
		z_vlan150) url=http://192.0.2.1:8080/ lo=$((16 * n)) ;;
		z_vlan160) url=http://192.0.2.129:8080/ lo=$((128 + 16 * n)) ;;
		z_custom_a) url=http://198.51.100.1:8080/ ;;
		esac
		got=$(awk -v u="$url" '$1 == u { print $2 }' <<<"$answers")
		ok=no
		if [[ $net == z_custom_a ]]; then
			want=198.51.100.11$n
			[[ $got == "$want" ]] && ok=yes
		else
			want="192.0.2.$lo/28"
			last=${got##*.}
			[[ $got == 192.0.2.* && $last =~ ^[0-9]+$ ]] && ((last >= lo && last < lo + 16)) && ok=yes
		fi
		printf '  kasm-agent-%s %-10s -> %-26s saw %-16s want %-18s %s\n' "$n" "$net" "$url" "${got:-nothing}" "$want" "$ok"
	done
	[[ -n $answers && $answers != *"http://"* ]] && echo "  kasm-agent-$n: $answers"
	true
}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for n in 1 2 3; do verify_agent "$n" >"$out/$n" & done
wait
for n in 1 2 3; do
	cat "$out/$n"
	[[ $(grep -c ' yes$' "$out/$n") -eq 3 ]] || verify_fail=1 # three networks, each seen right
done
((verify_fail == 0)) || echo "demo: end-to-end verification FAILED for the networks marked no"

say "push check $inv"
"$push" check "$inv"

say "look around"
for n in 1 2 3; do echo "  $(ssh_cmd $((2200 + n)))   # kasm-agent-$n"; done
echo "  $(ssh_cmd 2200)   # lab-gw, the gateway"
echo "  then, on an agent: docker network ls; ip -d link show eth1; nft list ruleset"
echo "  vCenter (vcsim): https://127.0.0.1:8989/sdk, user lab, password in $state/vsphere-password"
echo "tear down: make lab-down"

exit $verify_fail
