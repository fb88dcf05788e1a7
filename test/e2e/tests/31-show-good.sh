#!/bin/bash
# 31-show-good.sh - ckpt show and show --json on a good image set: exit 0,
# the PID is shown, the JSON parses, the images are untouched.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

w=$T/w
make_image "$w" "$T/images"
pid=$IMG_PID
d0=$(image_digest "$T/images")
ck_ok show --images "$T/images"
[[ -s $CK_OUT ]] || fail "ckpt show printed nothing"
grep -qw -- "$pid" "$CK_OUT" || fail "ckpt show does not mention PID $pid"
ck_ok show --images "$T/images" --json
[[ -s $CK_OUT ]] || fail "ckpt show --json printed nothing"
if [[ -n $PYTHON && -x $PYTHON ]]; then
	"$PYTHON" -c 'import json, sys; json.load(sys.stdin)' <"$CK_OUT" 2>"$T/json.err" ||
		fail "ckpt show --json is not JSON: $(tail -n 1 "$T/json.err")"
	grep -qw -- "$pid" "$CK_OUT" || fail "ckpt show --json does not mention PID $pid"
else
	log "no python3: JSON not parsed"
fi
[[ $(image_digest "$T/images") == "$d0" ]] || fail "ckpt show changed the images"
assert_no_strays
