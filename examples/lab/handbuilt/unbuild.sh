#!/bin/sh
# Undoes build.sh where push's reset does not reach: the hand-typed SNAT
# rules, the rules file, the /etc/modules line, the interfaces stanza and
# the session containers. labenv.Reset does the rest.
docker ps -aq --filter name=hand_ | xargs -r docker rm -f >/dev/null
iptables -t nat -S POSTROUTING | grep -- '-j SNAT' | sed 's/^-A //' | while read -r rule; do
	eval "iptables -t nat -D $rule"
done
rm -rf /etc/iptables
sed -i '/^8021q$/d' /etc/modules
sed -i '/^auto eth1$/d; /^iface eth1 inet manual$/d' /etc/network/interfaces
! iptables -t nat -S POSTROUTING | grep -q -- '-j SNAT' || { echo "SNAT rules left"; exit 1; }
