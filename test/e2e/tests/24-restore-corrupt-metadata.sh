#!/bin/bash
# 24-restore-corrupt-metadata.sh - one byte flipped in the middle of mm-*.img
# (then of core-, pagemap-, fdinfo-*.img and inventory.img, separately):
# restore fails cleanly, leaves no process and does not touch the images.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

w=$T/w
make_image "$w" "$T/images"
pid=$IMG_PID
for glob in 'mm-*.img' 'core-*.img' 'pagemap-*.img' 'fdinfo-*.img' inventory.img; do
	f=$(one_file "$T/images" "$glob")
	name=${f##*/}
	off=$(($(stat -c %s "$f") / 2))
	d=$T/flip-$name
	cp -a "$T/images" "$d"
	flip_byte "$d/$name" "$off"
	expect_restore_fail "$d" "$pid" "with byte $off of $name flipped"
done
control_restore "$T/images" "$pid" "$w"
assert_no_strays
