#!/usr/bin/env bash
# Builds (or reuses) a lab VM image from Debian packages and prints the
# directory holding it: vmlinuz, initrd.gz, base.qcow2, kernel-version.
#
#   build.sh [bookworm|trixie]
#
# bookworm (the default): Debian 12, docker.io 20.10, ifupdown, netplan,
# systemd-networkd; root and admin log in. trixie: Debian 13, docker.io 26
# and docker-cli, NetworkManager; only admin logs in (sudo), root does not.
# Both boot the same bookworm cloud kernel and initramfs.
# The cache key is the hash of this folder's files, the variant, the kernel
# package and the mirror, so an unchanged recipe is never rebuilt.
set -euo pipefail
variant=${1:-bookworm}
case $variant in
bookworm | trixie) ;;
*) echo "usage: $0 [bookworm|trixie]" >&2; exit 2 ;;
esac
export PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin
here=$(cd "$(dirname "$0")" && pwd)
cache=${PUSH_LAB_CACHE:-$HOME/.cache/push-lab}
log() { echo "image: $*" >&2; }
mkdir -p "$cache"
# lab.sh up builds both variants at once: one apt-get update at a time.
apt_update() { flock "$cache/.apt-update.lock" apt-get update -qq >&2; }

# The Debian mirror this host's apt uses (deb822 or one-line format).
mirror() {
	local u
	u=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '
		/^URIs:/ {uri=$2} /^Suites:/ && /bookworm( |$)/ && uri ~ /debian\/?$/ {print uri; exit}')
	if [[ -z $u ]]; then
		u=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
			awk '$1=="deb" && $3=="bookworm" && $2 ~ /debian\/?$/ {print $2; exit}')
	fi
	echo "${u:-http://deb.debian.org/debian}"
}

kernel_pkg() {
	apt-cache depends linux-image-cloud-amd64 2>/dev/null |
		awk '/Depends: linux-image-[0-9]/ {print $2; exit}'
}

pkg=$(kernel_pkg || true)
if [[ -z $pkg ]]; then
	log "apt lists are missing; running apt-get update"
	apt_update
	pkg=$(kernel_pkg)
fi
kver=${pkg#linux-image-}
mirror=$(mirror)
key=$( (cd "$here" && find . -type f | LC_ALL=C sort | xargs sha256sum; echo "$variant $pkg $mirror") |
	sha256sum | cut -c1-16)
out=$cache/$key
if [[ -e $out/done ]]; then
	log "cached: $out"
	echo "$out"
	exit 0
fi

start=$(date +%s)
log "building $variant $out (kernel $kver, mirror $mirror)"
work=$(mktemp -d "$cache/build.XXXXXX")
# --one-file-system: an interrupted build may leave the chroot's /proc or
# /sys mounted; never descend into them.
trap 'rm -rf --one-file-system "$work"' EXIT
root=$work/rootfs

pkgs=systemd-sysv,udev,dbus,kmod,procps,sudo,busybox-static,openssh-server,openssh-sftp-server
pkgs+=,iproute2,iptables,nftables,iputils-ping,docker.io
if [[ $variant == bookworm ]]; then
	pkgs+=,ifupdown,netplan.io
	# For `make bench` (Ansible on the agents: its modules, community.docker).
	pkgs+=,python3,python3-docker
else
	# trixie splits the docker client out of docker.io.
	pkgs+=,docker-cli,network-manager
fi
# mmdebstrap rather than debootstrap: apt downloads and dpkg installs in a
# few large runs, without an fsync per file (force-unsafe-io: a half-built
# image is thrown away anyway), /usr merged by its hook as debootstrap does
# (no usrmerge, no perl). The same packages took 60 s here, debootstrap
# 95-102 s (docs/benchmarks.md, make demo).
mmdebstrap --variant=minbase --dpkgopt=force-unsafe-io \
	--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
	--include="$pkgs" "$variant" "$root" "$mirror" >"$work/mmdebstrap.log" 2>&1 ||
	{ tail -30 "$work/mmdebstrap.log" >&2; exit 1; }
rm -f "$root/etc/dpkg/dpkg.cfg.d/99mmdebstrap" # the VM's dpkg keeps its fsyncs
log "mmdebstrap done after $(($(date +%s) - start))s"

# The kernel package is unpacked aside (its ./lib would replace the rootfs's
# merged-/usr symlink) and only its modules go in.
if ! (cd "$work" && apt-get download "$pkg" >/dev/null 2>&1); then
	log "apt-get download $pkg failed; refreshing apt lists and retrying"
	apt_update
	(cd "$work" && apt-get download "$pkg" >&2)
fi
dpkg -x "$work/$pkg"_*.deb "$work/kernel"
mv "$work/kernel/boot/vmlinuz-$kver" "$work/vmlinuz"
mkdir -p "$root/usr/lib/modules"
mv "$work/kernel/lib/modules/$kver" "$root/usr/lib/modules/"
chroot "$root" depmod "$kver"

# "admin": a user with passwordless sudo, for push's become = true.
chroot "$root" useradd -m -u 1000 -s /bin/bash admin
echo 'admin ALL=(ALL) NOPASSWD:ALL' >"$root/etc/sudoers.d/lab-admin"
chmod 0440 "$root/etc/sudoers.d/lab-admin"

# Identity comes per VM (initramfs unpacks it): no shared host keys or ids.
rm -f "$root"/etc/ssh/ssh_host_*
: >"$root/etc/machine-id"
rm -f "$root/var/lib/dbus/machine-id"
# Units a lab VM does not need; fewer units boot faster under TCG.
for u in apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer \
	e2scrub_reap.service fstrim.timer man-db.timer systemd-networkd-wait-online.service \
	ifupdown-wait-online.service getty@tty1.service systemd-timesyncd.service \
	systemd-pstore.service systemd-logind.service systemd-binfmt.service \
	proc-sys-fs-binfmt_misc.automount modprobe@dm_mod.service modprobe@loop.service \
	modprobe@fuse.service modprobe@drm.service sys-kernel-debug.mount sys-kernel-tracing.mount \
	dev-hugepages.mount sys-fs-fuse-connections.mount $(cat "$here/$variant/masked" 2>/dev/null); do
	ln -sf /dev/null "$root/etc/systemd/system/$u"
done
# Every VM starts with the network service of its flavour disabled; its
# identity enables one (ifupdown's networking.service, systemd-networkd or
# NetworkManager).
rm -f "$root/etc/systemd/system/multi-user.target.wants/networking.service" \
	"$root/etc/systemd/system/network-online.target.wants/networking.service" \
	"$root/etc/systemd/system/multi-user.target.wants/NetworkManager.service" \
	"$root/etc/systemd/system/network-online.target.wants/NetworkManager-wait-online.service"
if [[ $variant == bookworm ]]; then
	printf 'auto lo\niface lo inet loopback\n\nsource /etc/network/interfaces.d/*\n' >"$root/etc/network/interfaces"
fi
cp -a "$here/files/." "$root/"
# The variant's own files replace the common ones (trixie: sshd refuses root).
if [[ -d $here/$variant/files ]]; then
	cp -a "$here/$variant/files/." "$root/"
fi
# systemd 257's ssh generator looks for AF_VSOCK, which these VMs lack,
# and fails on every boot.
if [[ -e $root/usr/lib/systemd/system-generators/systemd-ssh-generator ]]; then
	mkdir -p "$root/etc/systemd/system-generators"
	ln -sf /dev/null "$root/etc/systemd/system-generators/systemd-ssh-generator"
fi
mkdir -p "$root/etc/systemd/journald.conf.d"
printf '[Journal]\nStorage=volatile\n' >"$root/etc/systemd/journald.conf.d/lab.conf"
chroot "$root" apt-get clean
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/usr/share/doc/* "$root"/usr/share/man/*

# initramfs: busybox, the virtio block modules, our init.
ird=$work/initramfs
mkdir -p "$ird"/{bin,dev,proc,sys,newroot,lib/modules}
cp /bin/busybox "$ird/bin/busybox"
cp "$here/init" "$ird/init"
for m in virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci virtio_blk; do
	find "$root/lib/modules/$kver" -name "$m.ko" -exec cp {} "$ird/lib/modules/" \;
done
(cd "$ird" && find . | cpio -o -H newc --quiet | gzip -1) >"$work/initrd.gz"

mkfs.ext4 -q -L lab-root -d "$root" "$work/root.raw" 2G >&2
qemu-img convert -O qcow2 "$work/root.raw" "$work/base.qcow2"
mkdir -p "$out"
mv "$work/vmlinuz" "$work/initrd.gz" "$work/base.qcow2" "$out/"
echo "$kver" >"$out/kernel-version"
touch "$out/done"
log "built in $(($(date +%s) - start))s: $out"
echo "$out"
