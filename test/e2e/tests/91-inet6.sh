#!/bin/bash
# 91-inet6.sh - TCP and UDP over IPv6 loopback (90-inet): a listening
# socket, a connection from the test itself with bytes queued both ways, a
# connection inside the tree, UDP sockets bound and connected. See
# inet_roundtrip in net.sh.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/net.sh
. "$(dirname "$0")/../net.sh"
e2e_init

inet_roundtrip 6
