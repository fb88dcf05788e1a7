#!/bin/bash
# 103-sysv-sem.sh - a System V semaphore set (103-sysv-sem) through which a
# process and its child talk (the child blocked in semop), one semaphore
# taken with SEM_UNDO.
#  1. dump (kills: the kernel gives back the SEM_UNDO adjustment), restore:
#     the set is reused, its values are those of the dump, the child
#     answers again, the last operation on its semaphore is its own.
#  2. dump, the set removed, restore: made again with its id, key, mode
#     and values.
#  3. a restore failing where it makes the set or sets its values leaves
#     nothing (the FAULT=1 build).
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/sysv.sh
. "$(dirname "$0")/../sysv.sh"
e2e_init

key=$(sysv_key 0x20000000)
sysv_start 103-sysv-sem "$key" -S 'sem=([0-9]+)'
id=${BASH_REMATCH[1]}
self_check "$pid" "$w"

sem2() { python3 -c "
import ctypes
libc = ctypes.CDLL(None)
print(libc.semctl($id, 2, 12))"; } # GETVAL

# 1. reused
dump_tree "$pid" "$T/img1"
[[ $(sem2) == 7 ]] || fail "after the kill sem 2 is $(sem2), want 7 (SEM_UNDO applied)"
restore_tree "$T/img1" "$pid"
self_check "$pid" "$w"
posted=$(check_value posted)
seq_verify "$w/seq"
wait_seq_beyond "$w/seq" $((SEQ_N + 50))
self_check "$pid" "$w"
(($(check_value posted) > posted + 1)) || fail "the child no longer answers through the set"

# 2. made again
dump_tree "$pid" "$T/img2"
ipcrm -s "$id" || fail "cannot remove the set"
restore_tree "$T/img2" "$pid"
self_check "$pid" "$w"
read -r _ sid perms nsems _ < <(grep -E "^ *[0-9-]+ +$id " /proc/sysvipc/sem)
[[ $sid == "$id" && $perms == 640 && $nsems == 3 ]] || fail "set made again wrong: $perms $nsems"
posted=$(check_value posted)
seq_verify "$w/seq"
wait_seq_beyond "$w/seq" $((SEQ_N + 50))
self_check "$pid" "$w"
(($(check_value posted) > posted + 1)) || fail "the child no longer answers through the set"
kill_tree "${TREE_PIDS[@]}"

# A restore failing where the set is made again or given its values: the
# set it made is gone again.
ipcrm -s "$id" || fail "cannot remove the set"
for site in restore_sysv_create restore_sysv_sem_values; do
	fault_restore "$T/img2" "$pid" "$site"
	grep -qE "^ *[0-9-]+ +$id " /proc/sysvipc/sem && fail "a restore failed at $site left the set"
done

assert_no_strays
