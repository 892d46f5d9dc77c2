package labenv

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
)

// resetScript removes what push may have made on an agent. Each step may
// find nothing to do; the check at the end says whether the host is clean.
const resetScript = `
for n in $(docker network ls -q --filter label=com.kasmfleet.push.managed=true) \
         $(docker network ls --format '{{.Name}}' | grep '^z_'); do
	docker ps -aq --filter network="$n" | xargs -r docker rm -f >/dev/null 2>&1
	docker network rm "$n" >/dev/null 2>&1
done
nft delete table ip push 2>/dev/null
# No daemon-reload (seconds on these VMs): the next boot reads the units
# afresh, and push's apply writes the unit anew.
if [ -e /etc/systemd/system/push-restore.service ]; then
	systemctl stop push-restore.service >/dev/null 2>&1
	rm -f /etc/systemd/system/push-restore.service /etc/systemd/system/multi-user.target.wants/push-restore.service
fi
if ls /etc/network/interfaces.d/push-* >/dev/null 2>&1; then
	ifdown --force eth1 >/dev/null 2>&1
	rm -f /etc/network/interfaces.d/push-*
fi
# NetworkManager: deleting the profile also takes it off eth1.
if command -v nmcli >/dev/null && systemctl -q is-active NetworkManager; then
	for c in $(nmcli -g NAME connection show | grep '^push-'); do
		nmcli connection delete "$c" >/dev/null
	done
fi
rm -rf /var/lib/push /run/push.lock /etc/modules-load.d/push-8021q.conf \
	/etc/NetworkManager/system-connections/push-*
if ls /etc/netplan/*push* >/dev/null 2>&1; then
	rm -f /etc/netplan/*push*
	netplan generate
	networkd=reload
fi
if ls /etc/systemd/network/*push* >/dev/null 2>&1; then
	rm -f /etc/systemd/network/*push*
	networkd=reload
fi
if [ -n "$networkd" ] && systemctl -q is-active systemd-networkd; then
	networkctl reload
fi
for l in $(ip -o link show | awk -F': ' '{print $2}' | cut -d@ -f1 | grep '^eth1\.'); do
	ip link del "$l"
done
ip addr flush dev eth1
ip link set eth1 down
modprobe -r 8021q 2>/dev/null
# What must be true now:
left=$(docker network ls --format '{{.Name}}' | grep '^z_')
[ -z "$left" ] || { echo "docker networks left: $left"; exit 1; }
! nft list table ip push >/dev/null 2>&1 || { echo "nft table ip push left"; exit 1; }
! ip -o link show | grep -q ' eth1\.' || { echo "vlan links left on eth1"; exit 1; }
! ip -o link show eth1 | grep -q ',UP' || { echo "eth1 still up"; exit 1; }
exit 0
`

// Reset removes everything push may have created on an agent, so a test
// starts from the lab's pristine state: push's Docker networks and every
// network named z_*, the nftables table "ip push", push's state, lock, boot
// unit and module config, its trunk persistence for every network flavour
// (NetworkManager: the profile is deleted), VLAN links on eth1; eth1 is
// left down and 8021q unloaded if unused. It runs as root, through sudo
// where root does not log in.
func (l *Lab) Reset(ctx context.Context, agent string) error {
	out, err := l.Run(ctx, agent, resetScript)
	if err != nil {
		return fmt.Errorf("reset %s: %w: %s", agent, err, strings.TrimSpace(out))
	}
	return nil
}

// ResetAll resets the named agents (every agent when none is named) at
// once: they are separate VMs, so one after the other only adds up waits.
func (l *Lab) ResetAll(ctx context.Context, agents ...string) error {
	if len(agents) == 0 {
		for _, a := range l.Agents() {
			agents = append(agents, a.Name)
		}
	}
	errs := make([]error, len(agents))
	var wg sync.WaitGroup
	for i, a := range agents {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = l.Reset(ctx, a)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}
