# shellcheck shell=bash
# lazy.sh - helpers of the lazy restore tests (310-319), sourced after
# lib.sh: the fault build, and finding the page daemon and the page server.

# lazy_fault_build: FCKPT is the fault-injection build (its daemon can be
# held without its background copy: CKPT_FAULT=lazy_background).
lazy_fault_build() {
	FCKPT=${CKPT_FAULT_BIN:-$PWD/build-fault/ckpt}
	[[ -x $FCKPT ]] || fail "no fault-injection build at $FCKPT (make FAULT=1 B=build-fault build-fault/ckpt)"
}

# lazy_daemon_holding GLOB: the page daemon (ckpt-lazy) that holds a file
# open whose path matches GLOB.
lazy_daemon_holding() {
	local p fd
	for p in /proc/[0-9]*; do
		[[ $(cat "$p/comm" 2>/dev/null) == ckpt-lazy ]] || continue
		for fd in "$p"/fd/*; do
			# shellcheck disable=SC2053 # GLOB is a pattern
			[[ $(readlink "$fd" 2>/dev/null) == $1 ]] && {
				printf '%s\n' "${p#/proc/}"
				return 0
			}
		done
	done
	return 1
}

# lazy_daemon IMG: the page daemon that serves the image set IMG (it holds
# its page images open).
lazy_daemon() { lazy_daemon_holding "$(printf '%q' "$1")/*"; }
no_daemon() { ! lazy_daemon "$1" >/dev/null; }

# daemon_of PID: the page daemon serving PID (it holds its page image).
daemon_of() { lazy_daemon_holding "*/pages-$1.img*"; }
no_daemon_of() { ! daemon_of "$1" >/dev/null; }

# server_of SRC: the serve-pages process for SRC.
server_of() {
	local p
	for p in /proc/[0-9]*; do
		[[ $(tr '\0' ' ' 2>/dev/null <"$p/cmdline") == *"serve-pages --images $1"* ]] || continue
		[[ $(cat "$p/comm" 2>/dev/null) == sh ]] && continue
		printf '%s\n' "${p#/proc/}"
		return 0
	done
	return 1
}
no_server() { ! server_of "$1" >/dev/null; }
