#!/bin/bash
# 30-show-corrupt.sh - ckpt show (and show --json) on a missing dir and on
# images with one byte flipped in inventory.img, core-*.img or mm-*.img:
# exit 1, one line on stderr, no crash.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

w=$T/w
make_image "$w" "$T/images"
ck_fails "show of a missing dir" show --images "$T/nonexistent"
for glob in inventory.img 'core-*.img' 'mm-*.img'; do
	f=$(one_file "$T/images" "$glob")
	name=${f##*/}
	off=$(($(stat -c %s "$f") / 2))
	d=$T/flip-$name
	cp -a "$T/images" "$d"
	flip_byte "$d/$name" "$off"
	ck_fails "show with byte $off of $name flipped" show --images "$d"
	ck_fails "show --json with byte $off of $name flipped" show --images "$d" --json
done
assert_no_strays
