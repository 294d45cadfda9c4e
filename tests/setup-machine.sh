#!/usr/bin/env bash
# Prepare a Debian 12 machine for Stratus: install every build, runtime and
# test package, make rootless Podman work for user $1 (created when
# missing), and build the local busybox test image for that user.
# Idempotent: safe to run again.  Needs root.
set -euo pipefail
user=${1:-stratus-ci}
image=${STRATUS_TEST_IMAGE:-localhost/stratus-busybox:latest}

packages="build-essential autoconf automake libtool pkg-config git
	libmicrohttpd-dev libyaml-dev libcjson-dev libcurl4-openssl-dev
	libsqlite3-dev libarchive-dev libsystemd-dev libcriterion-dev
	podman runc uidmap slirp4netns fuse-overlayfs busybox-static
	systemd clang curl jq openssl sqlite3"
installed() {
	for p in $packages; do
		[ "$(dpkg-query -W -f '${Status}' "$p" 2>/dev/null)" = \
		    "install ok installed" ] || return 1
	done
}
if ! installed; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends $packages >/dev/null
fi

id "$user" >/dev/null 2>&1 || useradd -m -s /bin/bash "$user"
uid=$(id -u "$user")
grep -q "^$user:" /etc/subuid || usermod --add-subuids 200000-265535 "$user"
grep -q "^$user:" /etc/subgid || usermod --add-subgids 200000-265535 "$user"

# runc: crun refuses the hybrid cgroup layout here.  Default ulimits below the
# hard limits, or containers fail to start.
hn=$(ulimit -Hn); hu=$(ulimit -Hu)
[ "$hn" = unlimited ] && hn=1048576
[ "$hu" = unlimited ] && hu=1048576
mkdir -p /etc/containers
cat >/etc/containers/containers.conf <<CONF
[containers]
default_ulimits = ["nofile=$((hn < 1024 ? hn : 1024)):$((hn < 1024 ? hn : 1024))", "nproc=$((hu < 4096 ? hu : 4096)):$((hu < 4096 ? hu : 4096))"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF

# slirp4netns needs the tun device.
[ -c /dev/net/tun ] && chmod 0666 /dev/net/tun

run=/run/user/$uid
mkdir -p "$run"; chown "$user:" "$run"; chmod 0700 "$run"

as_user() {
	runuser -u "$user" -- env -i HOME="$(getent passwd "$user" | cut -d: -f6)" \
	    USER="$user" PATH=/usr/sbin:/usr/bin:/sbin:/bin XDG_RUNTIME_DIR="$run" "$@"
}

if ! as_user podman image exists "$image"; then
	tmp=$(mktemp -d); chmod 0755 "$tmp"
	mkdir -p "$tmp/root/bin" "$tmp/root/tmp" "$tmp/root/etc"
	cp /bin/busybox "$tmp/root/bin/busybox"
	for a in sh ash cat echo ls sleep seq true false env printf mkdir rm yes head tail wc sed grep id pwd uname date dd touch test cut sort tr; do
		ln -sf busybox "$tmp/root/bin/$a"
	done
	echo "root:x:0:0:root:/root:/bin/sh" >"$tmp/root/etc/passwd"
	echo "root:x:0:" >"$tmp/root/etc/group"
	chmod 1777 "$tmp/root/tmp"
	tar -C "$tmp/root" -cf "$tmp/rootfs.tar" .
	chmod 0644 "$tmp/rootfs.tar"
	as_user podman import --change 'ENV PATH=/bin' --change 'CMD ["/bin/sh"]' \
	    "$tmp/rootfs.tar" "$image" >/dev/null
	rm -rf "$tmp"
fi
as_user podman run --rm --network none "$image" /bin/sh -c 'true' 
