#!/bin/bash
# 50-pthreads.sh - a process with 8 threads sharing a mutex and a condvar,
# with __thread counters, blocked in different places (condvar futex,
# pthread_join, sigwaitinfo, nanosleep, poll, clock_nanosleep, spinning):
# dump (kills it), restore; the same TIDs and thread names come back, and
# the target's self-check finds every thread alive, progressing, with its
# TID and TLS, the waitee joined and the counter invariant intact.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/roundtrip.sh
. "$(dirname "$0")/../roundtrip.sh"
e2e_init

pthreads_roundtrip
