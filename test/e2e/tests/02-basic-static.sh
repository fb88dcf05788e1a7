#!/bin/bash
# 02-basic-static.sh - test 01 with the target linked -static.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/roundtrip.sh
. "$(dirname "$0")/../roundtrip.sh"
e2e_init

basic_roundtrip 02-basic-static
