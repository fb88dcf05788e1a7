#!/bin/bash
# 51-pthreads-fds.sh - 50-pthreads.sh with pipes between threads: the
# waitee is blocked in read() on a pipe the main thread writes, and a ninth
# thread waits in poll() with a timeout on another pipe.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/roundtrip.sh
. "$(dirname "$0")/../roundtrip.sh"
e2e_init

pthreads_roundtrip fds
