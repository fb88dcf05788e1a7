# shellcheck shell=bash
# anon.sh - helpers of the tests of files on anonymous inodes (70-79, and
# 170 for io_uring), sourced after lib.sh: what fdinfo says of an fd.

# fdinfo_view PID FD...: what /proc/PID/fd and fdinfo say of each FD, less
# what a dump and restore legitimately change (pos, mnt_id, ino,
# eventfd-id, a timer's time left and ticks, where an epoll target sits):
# "FD LINK", then its lines sorted (epoll items and inotify watches are
# listed in the kernel's own order).
fdinfo_view() {
	local pid=$1 fd
	shift
	for fd in "$@"; do
		printf '%s %s\n' "$fd" "$(readlink "/proc/$pid/fd/$fd")"
		sed -E -e '/^(pos|mnt_id|ino|eventfd-id|it_value|ticks):/d' \
			-e 's/^(tfd: +[0-9]+ events: +[0-9a-f]+ data: +[0-9a-f]+).*/\1/' \
			"/proc/$pid/fdinfo/$fd" | LC_ALL=C sort || return 1
	done
}

# fds_of PID LINK: the fd numbers of PID whose link is LINK, one a line.
fds_of() {
	local f
	for f in /proc/"$1"/fd/*; do
		[[ $(readlink "$f") == "$2" ]] && printf '%s\n' "${f##*/}"
	done | sort -n
}
