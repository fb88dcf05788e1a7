#!/bin/bash
# 11-dump-self.sh - ckpt asked to dump its own process fails cleanly.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

mkdir "$T/d"
# shellcheck disable=SC2016 # $$ and $0 are for the inner sh
ck_cmd sh -c 'exec "$0" dump --pid $$ --images "$1"' "$CKPT" "$T/d/images"
ck_assert_failed "dump of ckpt itself"
assert_dump_left_nothing "$T/d"
assert_no_strays
