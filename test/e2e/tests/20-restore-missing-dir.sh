#!/bin/bash
# 20-restore-missing-dir.sh - restore from a directory that does not exist, or
# is empty, or is a regular file, fails cleanly.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

ck_fails "restore from a missing dir" restore --images "$T/nonexistent" --detach
ck_fails "restore (no --detach) from a missing dir" restore --images "$T/nonexistent"
mkdir "$T/empty"
ck_fails "restore from an empty dir" restore --images "$T/empty" --detach
echo x >"$T/file"
ck_fails "restore from a regular file" restore --images "$T/file" --detach
[[ -z $(ls -A "$T/empty") ]] || fail "restore wrote into the empty dir"
assert_no_strays
