#!/bin/bash
# 01-basic.sh - the basic target (64 MiB heap, private file mapping, TLS,
# SIGUSR1 count, blocked mask, getpid, seq file): dump (kills it), restore
# --detach, SIGUSR1 again, self-check, the sequence goes on with no gap.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/roundtrip.sh
. "$(dirname "$0")/../roundtrip.sh"
e2e_init

basic_roundtrip 01-basic
