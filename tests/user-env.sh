# Sourced by the top-level scripts: run commands as the unprivileged user
# that owns rootless Podman here, with a copy of the source tree it can read.
user=${STRATUS_USER:-${SUDO_USER:-stratus-ci}}
[ "$user" = root ] && user=stratus-ci
uid=$(id -u "$user" 2>/dev/null || echo "")
home=$(getent passwd "$user" | cut -d: -f6)

as_user() {
	runuser -u "$user" -- env -i HOME="$home" USER="$user" LOGNAME="$user" \
	    PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin \
	    XDG_RUNTIME_DIR="/run/user/$uid" LANG=C.UTF-8 TERM="${TERM:-dumb}" \
	    CI="${CI:-}" "$@"
}

# Copy the tracked files (and untracked, unignored ones) of the tree at $1 to
# $2, owned by the user: CI's clone may sit where the user cannot enter.
copy_tree() {
	rm -rf "$2"
	mkdir -p "$2"
	if git -C "$1" rev-parse --git-dir >/dev/null 2>&1; then
		git -C "$1" ls-files -z --cached --others --exclude-standard |
		    (cd "$1" && tar --null -T - -cf -) | tar -xf - -C "$2"
	else
		(cd "$1" && tar --exclude=./build --exclude=./build-san -cf - .) |
		    tar -xf - -C "$2"
	fi
	chown -R "$user:" "$2"
}
