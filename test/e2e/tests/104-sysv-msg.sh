#!/bin/bash
# 104-sysv-msg.sh - a System V message queue (104-sysv-msg) holding typed
# messages, through which a process and its child also talk (the child
# blocked in msgrcv).
#  1. dump (kills), restore: the queue is reused and holds what it held at
#     the dump; the target's own check (id, key, mode, qbytes, each type's
#     messages in order, msgrcv by type) passes and the child answers; the
#     last sender and receiver are processes of the tree again.
#  2. dump, the queue removed, restore: made again with its id and all.
#  3. a restore failing where it makes the queue or sends the messages
#     leaves nothing (the FAULT=1 build).
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/sysv.sh
. "$(dirname "$0")/../sysv.sh"
e2e_init

key=$(sysv_key 0x30000000)
sysv_start 104-sysv-msg "$key" -Q 'msq=([0-9]+) child=([0-9]+)'
id=${BASH_REMATCH[1]} child=${BASH_REMATCH[2]}
self_check "$pid" "$w"

talks() { # the child answers after the restore
	local acked
	self_check "$pid" "$w"
	acked=$(check_value acked)
	seq_verify "$w/seq"
	wait_seq_beyond "$w/seq" $((SEQ_N + 50))
	self_check "$pid" "$w"
	(($(check_value acked) > acked + 1)) || fail "the child no longer answers through the queue"
}
lsrpids() { awk -v id="$id" 'NR > 1 && $2 == id { print $6, $7 }' /proc/sysvipc/msg; }

# 1. reused
dump_tree "$pid" "$T/img1"
restore_tree "$T/img1" "$pid"
read -r lspid lrpid < <(lsrpids)
[[ " $pid $child " == *" $lspid "* && " $pid $child " == *" $lrpid "* ]] ||
	fail "after the restore the last sender is $lspid and receiver $lrpid, not the tree's"
talks

# 2. made again
dump_tree "$pid" "$T/img2"
ipcrm -q "$id" || fail "cannot remove the queue"
restore_tree "$T/img2" "$pid"
read -r _ qid perms _ _ _ _ uid _ < <(awk -v id="$id" 'NR > 1 && $2 == id' /proc/sysvipc/msg)
[[ $qid == "$id" && $perms == 620 ]] || fail "queue made again wrong: id $qid perms $perms"
talks
kill_tree "${TREE_PIDS[@]}"

# 3. faults
ipcrm -q "$id" || fail "cannot remove the queue"
for site in restore_sysv_create restore_sysv_msg_send; do
	fault_restore "$T/img2" "$pid" "$site"
	grep -qE "^ *[0-9-]+ +$id " /proc/sysvipc/msg && fail "a restore failed at $site left the queue"
done
assert_no_strays
