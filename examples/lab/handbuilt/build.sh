#!/bin/sh
# Builds a Kasm agent by hand, the way the three procedures in
# ../shared/seeds tell an admin to, with the lab's addresses. Run as root
# on a lab agent with these set (handbuilt.Build sets them):
#   RANGE150, RANGE160  this agent's --ip-range on VLAN 150 and 160
#   SOURCE_IP           the --to-source of the egress SNAT rule
#   ENCLAVE             "yes" to create the enclave network too
#   EGRESS_SUBNET       optional --subnet of z_custom_a: Docker picks the next
#                       free pool per daemon, so a fleet whose agents must share
#                       the inventory's subnet states it (empty: Docker picks)
# It prints the subnet Docker chose for z_custom_a and for z_enclave_2.
set -eu

# IPVLAN procedure: trunking in the OS.
modprobe 8021q
grep -qx 8021q /etc/modules || echo "8021q" >> /etc/modules
if [ -e /etc/network/interfaces ] && ! grep -q '^iface eth1 ' /etc/network/interfaces; then
	printf 'auto eth1\niface eth1 inet manual\n' >> /etc/network/interfaces
fi
ip link set eth1 up
# ... and one docker network per VLAN, on this agent's slice.
docker network create -d ipvlan --subnet=192.0.2.0/25 --gateway=192.0.2.1 \
	--ip-range="$RANGE150" -o ipvlan_mode=l2 -o parent=eth1.150 z_vlan150 >/dev/null
docker network create -d macvlan --subnet=192.0.2.128/25 --gateway=192.0.2.129 \
	--ip-range="$RANGE160" -o macvlan_mode=bridge -o parent=eth1.160 z_vlan160 >/dev/null

# Bridged network source NAT: Docker picks the subnet, the admin reads it
# and types the rule, then saves the rules for boot.
docker network create \
	--driver bridge \
	--attachable \
	${EGRESS_SUBNET:+--subnet="$EGRESS_SUBNET"} \
	--opt "com.docker.network.bridge.name"="z_custom_a" \
	--opt "com.docker.network.bridge.enable_ip_masquerade"="false" \
	z_custom_a >/dev/null
subnet=$(docker network inspect -f '{{(index .IPAM.Config 0).Subnet}}' z_custom_a)
iptables -t nat -A POSTROUTING -s "$subnet" ! -o z_custom_a -j SNAT --to-source "$SOURCE_IP"
mkdir -p /etc/iptables
iptables-save > /etc/iptables/rules.v4
echo "z_custom_a $subnet"

# Restricting workspaces to docker networks: a plain custom network.
if [ "$ENCLAVE" = yes ]; then
	docker network create z_enclave_2 >/dev/null
	echo "z_enclave_2 $(docker network inspect -f '{{(index .IPAM.Config 0).Subnet}}' z_enclave_2)"
fi
