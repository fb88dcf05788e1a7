#!/bin/bash
# bash-loop.sh - a plain bash loop that runs child processes every iteration.
#
# Usage: bash bash-loop.sh WORKDIR
#
# Same protocol as the C targets (see target.h): "READY pid=N", "USR1 N",
# SIGUSR2 -> "CHECK OK ..." or "CHECK FAIL ...", SIGTERM -> "EXIT 42".
# Each iteration computes the next number with a command substitution
# ($(/usr/bin/expr ...): a child writing into a pipe bash reads), writes it
# with /bin/echo through fd 3 (WORKDIR/seq opened once, not O_APPEND: the
# child shares bash's open file description and its offset), then paces
# itself with /bin/sleep (a child in nanosleep). So whenever the tree is
# dumped, bash is likely waiting for a child, or a child is running.
#
# Self-check: $BASHPID is the PID seen at start, every child so far
# succeeded, and the offset of fd 3 (from /proc/PID/fdinfo/3) is exactly
# the size of "1\n2\n...N\n". Reports pid=, seq=N, usr1=.

cd "$1" || exit 2
usr1=0 logged_usr1=0 check=0 i=0 failed=
pid0=$BASHPID
trap 'usr1=$((usr1 + 1))' USR1
trap 'check=1' USR2
trap 'echo "EXIT 42"; exit 42' TERM
exec 3>seq

# Bytes of "1\n2\n...N\n".
seq_bytes() {
	local n=$1 lo=1 d=1 hi total=0
	while ((lo <= n)); do
		hi=$((lo * 10 - 1))
		((hi > n)) && hi=$n
		total=$((total + (hi - lo + 1) * (d + 1)))
		lo=$((lo * 10)) d=$((d + 1))
	done
	echo "$total"
}

self_check() {
	local k v pos='' want fails=()
	((BASHPID == pid0)) || fails+=("pid is $BASHPID, was $pid0")
	[[ -z $failed ]] || fails+=("$failed")
	while read -r k v; do
		[[ $k == pos: ]] && pos=$v
	done <"/proc/$BASHPID/fdinfo/3"
	want=$(seq_bytes "$i")
	[[ $pos == "$want" ]] || fails+=("seq fd offset is $pos, want $want for 1..$i")
	if ((${#fails[@]})); then
		echo "CHECK FAIL $(printf '%s; ' "${fails[@]}")| pid=$BASHPID seq=$i usr1=$usr1"
	else
		echo "CHECK OK pid=$BASHPID seq=$i usr1=$usr1"
	fi
}

echo "READY pid=$pid0"
while :; do
	# shellcheck disable=SC2003 # a child process is the point
	next=$(/usr/bin/expr "$i" + 1) || failed=${failed:-"expr failed after $i"}
	/bin/echo "$next" >&3 || failed=${failed:-"echo $next failed"}
	i=$next
	if ((usr1 != logged_usr1)); then
		logged_usr1=$usr1
		echo "USR1 $usr1"
	fi
	if ((check)); then
		check=0
		self_check
	fi
	/bin/sleep 0.002
done
