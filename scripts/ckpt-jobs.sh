# shellcheck shell=bash
# ckpt-jobs.sh - what ckpt-suspend, ckpt-resume and ckpt-run share: the ckpt
# binary, one-line failures, the lock of an image directory, progress
# lines (on a terminal only) and sizes. Sourced, not run: the scripts look
# for it beside themselves, then in ../lib/ckpt/ (an install's place).

# The ckpt to run: $CKPT, else the one built in the source tree of the
# script (scripts/../ckpt), else the one installed beside it, else PATH's.
ckpt_bin() {
	local here
	if [[ -n ${CKPT:-} ]]; then
		printf '%s\n' "$CKPT"
		return
	fi
	here=$(dirname "$(readlink -f "$0")")
	if [[ -x $here/../ckpt && -f $here/../src/main.c ]]; then
		printf '%s\n' "$here/../ckpt"
	elif [[ -x $here/ckpt ]]; then
		printf '%s\n' "$here/ckpt"
	else
		command -v ckpt || printf 'ckpt\n'
	fi
}

# die MESSAGE: one line on stderr, exit 1.
die() {
	printf '%s: %s\n' "$PROG" "$*" >&2
	exit 1
}

now_us() { printf '%s\n' "${EPOCHREALTIME//[.,]/}"; }

# secs US: microseconds as seconds with two decimals.
secs() { printf '%d.%02d' $(($1 / 1000000)) $((($1 % 1000000) / 10000)); }

# human BYTES: 512 B, 4.0 KiB, 12.3 MiB, 1.5 GiB.
human() {
	awk -v b="$1" 'BEGIN {
		split("B KiB MiB GiB TiB", u, " ")
		i = 1
		while (b >= 1024 && i < 5) { b /= 1024; i++ }
		printf(i == 1 ? "%d %s\n" : "%.1f %s\n", b, u[i])
	}'
}

# dir_bytes DIR: the bytes of the files below DIR.
dir_bytes() { du -sb -- "$1" 2>/dev/null | awk '{ print $1 + 0 }'; }

# clean TEXT: TEXT on one line, control characters (tabs, newlines) as
# spaces, at most 300 characters: for the manifest and messages.
clean() {
	local s=${1//[[:cntrl:]]/ }
	printf '%s\n' "${s:0:300}"
}

# cmd_of PID: the command line of PID on one line (its program without
# its directory), else its comm.
cmd_of() {
	local c
	c=$(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null) || c=
	c=${c% }
	if [[ -z ${c// /} ]]; then
		c=$(cat "/proc/$1/comm" 2>/dev/null) || c='?'
	elif [[ ${c%% *} == */* ]]; then
		c=${c#"${c%% *}"}
		c=$(basename -- "$(tr '\0' '\n' <"/proc/$1/cmdline" | head -n 1)")$c
	fi
	clean "$c"
}

# lock_dir DIR WHAT: take DIR/lock for this run (flock, released when the
# script exits), or fail naming the process that holds it.
lock_dir() {
	local dir=$1 what=$2 holder
	[[ -L $dir/lock ]] && die "cannot $what: '$dir/lock' is a symbolic link"
	exec {LOCK_FD}>>"$dir/lock" || die "cannot $what: cannot open '$dir/lock'"
	if ! flock -n "$LOCK_FD"; then
		holder=$(head -c 20 "$dir/lock" 2>/dev/null | tr -dc 0-9)
		[[ -n $holder && -e /proc/$holder ]] || holder=
		die "cannot $what: '$dir' is in use by another ckpt-suspend or ckpt-resume${holder:+ (pid $holder)}"
	fi
	# The holder's pid, for the message of the next one (the lock is
	# on the file, which stays the same).
	printf '%s\n' "$$" >"$dir/lock"
}

# progress LINE: a line of progress, only when stdout is a terminal.
progress() {
	[[ -t 1 ]] && printf '%s\n' "$*"
	return 0
}

# The manifest: a comment line, then one line per job, fields separated
# by tabs: pid, command, image set (a directory of DIR), uid, cgroup (as
# KIND:PATH: `cgroup2:/a/b`, `pids:/a`, `name=systemd:/a`; `-` if none).
# shellcheck disable=SC2034 # used by the scripts that source this
MANIFEST_HEADER='# ckpt-suspend manifest: pid, command, image set, uid, cgroup (tab-separated)'

# cg_dir KIND:PATH: the directory of that cgroup on this machine (its
# hierarchy's mount point and PATH); false if the hierarchy is not mounted.
cg_dir() {
	local kind=${1%%:*} path=${1#*:} m
	if [[ $kind == cgroup2 ]]; then
		m=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
	else
		m=$(awk -v k="$kind" '$3 == "cgroup" { n = split($4, o, ","); for (i = 1; i <= n; i++) if (o[i] == k) { print $2; exit } }' /proc/self/mounts)
	fi
	[[ -n $m ]] || return 1
	printf '%s%s\n' "${m%/}" "$path"
}

# safe_root_dir PATH: PATH is a directory only root can change: it and
# every directory above it (its physical path) root's, writable by no one
# else (a sticky directory, /tmp, may be above it). SAFE_PATH its physical
# path; else SAFE_ERR why not, status 1. For ckpt-run's root of the jobs
# of ordinary users, which root writes and a helper restores from.
# shellcheck disable=SC2034 # SAFE_PATH and SAFE_ERR are the callers'
safe_root_dir() {
	local p d st
	SAFE_PATH='' SAFE_ERR=''
	[[ $1 == /* ]] || { SAFE_ERR="'$(clean "$1")' is not an absolute path"; return 1; }
	p=$(cd -P -- "$1" 2>/dev/null && pwd -P) || { SAFE_ERR="no directory '$(clean "$1")'"; return 1; }
	d=$p
	while :; do
		st=$(stat -c '%u %a' -- "$d") || { SAFE_ERR="cannot read '$(clean "$d")'"; return 1; }
		if [[ ${st% *} != 0 ]]; then
			SAFE_ERR="'$(clean "$d")' is not root's (uid ${st% *}): its owner could change what is restored"
			return 1
		fi
		# Writable by others: only a sticky directory above the root.
		if ((8#${st#* } & 8#022)) && { [[ $d == "$p" ]] || ! ((8#${st#* } & 8#1000)); }; then
			SAFE_ERR="'$(clean "$d")' is writable by others than root (mode ${st#* })"
			return 1
		fi
		[[ $d == / ]] && break
		d=$(dirname -- "$d")
	done
	SAFE_PATH=$p
}

# safe_sub_dir DIR MASK [UID]: DIR is a directory, not a symbolic link,
# root's (or UID's), its mode without any bit of MASK (octal). Else
# SAFE_ERR why not, status 1.
# shellcheck disable=SC2034 # SAFE_ERR is the caller's
safe_sub_dir() {
	local st
	SAFE_ERR=''
	if [[ -L $1 || ! -d $1 ]]; then
		SAFE_ERR="'$(clean "$1")' is not a directory (a symbolic link or another file is refused)"
		return 1
	fi
	st=$(stat -c '%u %a' -- "$1") || { SAFE_ERR="cannot read '$(clean "$1")'"; return 1; }
	if [[ ${st% *} != 0 && ${st% *} != "${3:-0}" ]]; then
		SAFE_ERR="'$(clean "$1")' is not root's (uid ${st% *})"
		return 1
	fi
	if ((8#${st#* } & 8#$2)); then
		SAFE_ERR="'$(clean "$1")' is open to others than root (mode ${st#* })"
		return 1
	fi
}

# print_help: PROG's --help, made from its man page's source
# (doc/PROG.1.txt, by doc/mkman.py text): in the source tree, made now
# (python3); installed, the text make install made beside this file
# (PREFIX/lib/ckpt/PROG.help).
print_help() {
	local here lib
	here=$(dirname "$(readlink -f "$0")")
	lib=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
	if [[ -f $here/../doc/mkman.py && -f $here/../doc/$PROG.1.txt ]]; then
		command -v python3 >/dev/null ||
			die "cannot print the help: no python3 to make it from doc/$PROG.1.txt (see that file)"
		python3 "$here/../doc/mkman.py" text "$here/../doc/$PROG.1.txt"
	elif [[ -f $lib/$PROG.help ]]; then
		cat -- "$lib/$PROG.help"
	else
		die "cannot print the help: no $lib/$PROG.help (see man 1 $PROG)"
	fi
}
