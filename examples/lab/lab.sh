#!/usr/bin/env bash
# The push lab: four agent VMs and a gateway under qemu (TCG), joined by a
# VLAN trunk bridge and a LAN bridge, plus a vSphere simulator.
#   lab.sh up      build or reuse the images, boot everything, wait until ready
#   lab.sh up demo only what make demo needs: the gateway and kasm-agent-1..3
#                  (one image; a lab already up is used as it is)
#   lab.sh down    stop everything the lab started and remove its links/disks
#   lab.sh status  show what runs; fails unless the lab is healthy
set -euo pipefail
lab=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$lab/../.." && pwd)
state=${PUSH_LAB_STATE:-$lab/state}
export PATH=$PATH:/usr/local/go/bin:/usr/local/sbin:/usr/sbin:/sbin

case ${1:-}:${2:-} in
up: | up:demo | down: | status:) ;;
*) echo "usage: $0 up [demo]|down|status" >&2; exit 2 ;;
esac
if [[ $(id -u) -ne 0 ]]; then
	echo "lab: must run as root (it creates bridges and taps and runs qemu); try: sudo $0 $*" >&2
	exit 1
fi
if [[ -L $state && ! -d $state ]]; then
	echo "lab: $state is a symlink to nothing (or to itself); remove it (rm $state) and run $0 $* again" >&2
	exit 1
fi
mkdir -p "$state/bin"
# labctl up builds vcsim itself, while the images build.
(cd "$repo" && go build -o "$state/bin/labctl" ./examples/lab/labctl)
exec "$state/bin/labctl" -state "$state" -lab "$lab" -vcsim "$state/bin/vcsim" ${2:+-demo} "$1"
