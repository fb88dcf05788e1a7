#!/bin/bash
# 162-check-caps.sh - ckpt check lists the capabilities ckpt uses, each
# "present" or "missing" in the calling process with what is lost without
# it: every one ckpt's own process has is "present"; run again under capsh
# with CAP_NET_RAW, CAP_SYS_RESOURCE and CAP_NET_BIND_SERVICE dropped,
# exactly those three turn "missing" (and CAP_SYS_RESOURCE says a dump
# does not need it). The dump of nginx's tree (root and www-data) without
# CAP_SYS_RESOURCE is test 160.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init
command -v capsh >/dev/null || skip "capsh is not installed (apt-get install libcap2-bin)"

caps=(CAP_SYS_PTRACE CAP_SYS_ADMIN CAP_CHECKPOINT_RESTORE CAP_SETUID CAP_SETGID CAP_SETPCAP
	CAP_KILL CAP_DAC_OVERRIDE CAP_DAC_READ_SEARCH CAP_CHOWN CAP_FOWNER CAP_SYS_RESOURCE
	CAP_SYS_NICE CAP_SYS_CHROOT CAP_NET_ADMIN CAP_NET_RAW CAP_NET_BIND_SERVICE CAP_IPC_LOCK
	CAP_WAKE_ALARM)
dropped=" CAP_NET_RAW CAP_SYS_RESOURCE CAP_NET_BIND_SERVICE "

# has_cap PID CAP: CAP (its number from capsh) is in PID's effective set.
has_cap() {
	local n eff
	n=$(capsh --explain="${2,,}" | sed -n 's/^\(cap_[a-z_]*\) (\([0-9]*\)).*/\2/p' | head -n 1)
	[[ -n $n ]] || fail "capsh does not know $2"
	eff=$(awk '/^CapEff:/ { print $2 }' "/proc/$1/status")
	(((0x$eff >> n) & 1))
}
# row CAP: the state ckpt check printed for CAP, or nothing.
row() { sed -n '/^capabilities /,$p' "$CK_OUT" | awk -v c="$1" '$1 == c { print $2 }'; }

ck check
grep -q '^capabilities ' "$CK_OUT" || fail "ckpt check prints no capability table"
for c in "${caps[@]}"; do
	if has_cap $$ "$c"; then want=present; else want=missing; fi
	[[ $(row "$c") == "$want" ]] || fail "ckpt check says $c is '$(row "$c")', want $want"
	[[ $(sed -n '/^capabilities /,$p' "$CK_OUT" | awk -v c="$c" '$1 == c' | cut -c 35-) == ?????* ]] ||
		fail "ckpt check says nothing of what $c is for"
done
grep -qE '^CAP_SYS_RESOURCE +[a-z]+ +not needed at dump' "$CK_OUT" ||
	fail "ckpt check does not say a dump needs no CAP_SYS_RESOURCE"

# shellcheck disable=SC2016 # expanded by the shell capsh runs
ck_cmd capsh --drop=cap_net_raw,cap_sys_resource,cap_net_bind_service -- -c 'exec "$0" check' "$CKPT"
for c in "${caps[@]}"; do
	if [[ $dropped == *" $c "* ]] || ! has_cap $$ "$c"; then want=missing; else want=present; fi
	[[ $(row "$c") == "$want" ]] || fail "without$dropped ckpt check says $c is '$(row "$c")', want $want"
done
log "ckpt check: $(grep -c ' present ' "$CK_OUT") present, $(grep -c ' missing ' "$CK_OUT") missing"
