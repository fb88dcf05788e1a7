#!/bin/bash
# 45-attacks.sh - a local attacker (an ordinary user made for the test)
# tries every attack in test/e2e/attacks/*.sh on root's use of ckpt; each
# must be stopped. Prints "attacks: N tried, N stopped".
#
#     bash test/e2e/tests/45-attacks.sh             every attack
#     ATTACKS=keeper bash test/e2e/tests/45-attacks.sh   files matching
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/attack.sh
. "$E2E_DIR/attack.sh"
e2e_init
attack_init

for f in "$E2E_DIR"/attacks/*.sh; do
	[[ -z ${ATTACKS:-} || $(basename "$f") == *"$ATTACKS"* ]] || continue
	# shellcheck source=/dev/null
	. "$f"
done
attack_summary
assert_no_strays
